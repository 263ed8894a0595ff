package stix

import (
	"fmt"
	"strings"
)

// MaxPatternLen bounds the patterns ParsePattern reads.
const MaxPatternLen = 64 << 10

// maxNesting bounds parentheses and brackets, so a hostile pattern cannot
// exhaust the stack.
const maxNesting = 100

// Pattern is a parsed STIX pattern: a tree of observation expressions.
type Pattern struct{ root obsExpr }

// obsExpr is an observation expression.
type obsExpr interface{ obs() }

// obsBinary joins two observation expressions with AND, OR or FOLLOWEDBY.
type obsBinary struct {
	op   string
	l, r obsExpr
}

// obsQualified is an observation expression with WITHIN, REPEATS or
// START/STOP.
type obsQualified struct {
	x    obsExpr
	qual string // as written, e.g. "WITHIN 300 SECONDS"
}

// observation is [comparison expression].
type observation struct{ cmp cmpExpr }

func (obsBinary) obs()    {}
func (obsQualified) obs() {}
func (observation) obs()  {}

// cmpExpr is a comparison expression within an observation.
type cmpExpr interface{ cmp() }

type cmpBinary struct {
	op   string // AND, OR
	l, r cmpExpr
}

// comparison is path [NOT] op literal, or EXISTS path.
type comparison struct {
	path ObjectPath
	not  bool
	op   string // = != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET EXISTS
	lits []token
}

func (cmpBinary) cmp()  {}
func (comparison) cmp() {}

// ObjectPath is object-type:property.path, e.g. file:hashes.'SHA-256'.
type ObjectPath struct {
	Type  string
	Props []string // property names and "[n]" / "[*]" list steps
}

func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Props {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		if strings.ContainsAny(s, "-. ") && !strings.HasPrefix(s, "[") {
			b.WriteString("'" + s + "'")
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// ParsePattern parses a STIX 2.1 pattern. Keywords are read in any case.
func ParsePattern(p string) (*Pattern, error) {
	if len(p) > MaxPatternLen {
		return nil, &SyntaxError{0, fmt.Sprintf("pattern longer than %d bytes", MaxPatternLen)}
	}
	toks, err := lex(p)
	if err != nil {
		return nil, err
	}
	ps := &parser{toks: toks}
	root, err := ps.observationExpressions()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tEOF {
		return nil, ps.errorf(t, "unexpected %s after the pattern", t)
	}
	return &Pattern{root: root}, nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &SyntaxError{t.pos, fmt.Sprintf(format, args...)}
}

// keyword reports whether the next token is the keyword kw, and takes it.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf(t, "nested deeper than %d", maxNesting)
	}
	return nil
}

// observationExpressions: or (FOLLOWEDBY or)*
func (p *parser) observationExpressions() (obsExpr, error) {
	return p.obsChain([]string{"FOLLOWEDBY", "OR", "AND"}, 0)
}

// obsChain parses a left-associative chain of the operator at level,
// whose operands are chains of the next level (FOLLOWEDBY binds loosest,
// then OR, then AND).
func (p *parser) obsChain(ops []string, level int) (obsExpr, error) {
	if level == len(ops) {
		return p.qualifiedObservation()
	}
	l, err := p.obsChain(ops, level+1)
	if err != nil {
		return nil, err
	}
	for p.keyword(ops[level]) {
		r, err := p.obsChain(ops, level+1)
		if err != nil {
			return nil, err
		}
		l = obsBinary{op: ops[level], l: l, r: r}
	}
	return l, nil
}

func (p *parser) qualifiedObservation() (obsExpr, error) {
	x, err := p.observationExpression()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case p.keyword("WITHIN"):
			n := p.next()
			if n.kind != tInt && n.kind != tFloat {
				return nil, p.errorf(n, "WITHIN needs a number of seconds, got %s", n)
			}
			if !p.keyword("SECONDS") {
				return nil, p.errorf(p.peek(), "WITHIN %s needs SECONDS", n.text)
			}
			x = obsQualified{x: x, qual: "WITHIN " + n.text + " SECONDS"}
		case p.keyword("REPEATS"):
			n := p.next()
			if n.kind != tInt {
				return nil, p.errorf(n, "REPEATS needs a whole number, got %s", n)
			}
			if !p.keyword("TIMES") {
				return nil, p.errorf(p.peek(), "REPEATS %s needs TIMES", n.text)
			}
			x = obsQualified{x: x, qual: "REPEATS " + n.text + " TIMES"}
		case p.keyword("START"):
			a := p.next()
			if a.kind != tTimestamp {
				return nil, p.errorf(a, "START needs a timestamp t'…', got %s", a)
			}
			if !p.keyword("STOP") {
				return nil, p.errorf(p.peek(), "START needs STOP")
			}
			b := p.next()
			if b.kind != tTimestamp {
				return nil, p.errorf(b, "STOP needs a timestamp t'…', got %s", b)
			}
			x = obsQualified{x: x, qual: "START t'" + a.text + "' STOP t'" + b.text + "'"}
		default:
			_ = t
			return x, nil
		}
	}
}

func (p *parser) observationExpression() (obsExpr, error) {
	t := p.next()
	switch t.kind {
	case tLBrack:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		c, err := p.cmpChain(0)
		if err != nil {
			return nil, err
		}
		if e := p.next(); e.kind != tRBrack {
			return nil, p.errorf(e, "expected ']' to close the observation opened at offset %d, got %s", t.pos, e)
		}
		p.depth--
		return observation{cmp: c}, nil
	case tLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.observationExpressions()
		if err != nil {
			return nil, err
		}
		if e := p.next(); e.kind != tRParen {
			return nil, p.errorf(e, "expected ')' to close the group opened at offset %d, got %s", t.pos, e)
		}
		p.depth--
		return x, nil
	}
	return nil, p.errorf(t, "expected '[' or '(' to start an observation, got %s", t)
}

// cmpChain: OR binds looser than AND.
func (p *parser) cmpChain(level int) (cmpExpr, error) {
	ops := []string{"OR", "AND"}
	if level == len(ops) {
		return p.propTest()
	}
	l, err := p.cmpChain(level + 1)
	if err != nil {
		return nil, err
	}
	for p.keyword(ops[level]) {
		r, err := p.cmpChain(level + 1)
		if err != nil {
			return nil, err
		}
		l = cmpBinary{op: ops[level], l: l, r: r}
	}
	return l, nil
}

func (p *parser) propTest() (cmpExpr, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		c, err := p.cmpChain(0)
		if err != nil {
			return nil, err
		}
		if e := p.next(); e.kind != tRParen {
			return nil, p.errorf(e, "expected ')' to close the comparison group opened at offset %d, got %s", t.pos, e)
		}
		p.depth--
		return c, nil
	}
	if p.keyword("EXISTS") {
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return comparison{path: path, op: "EXISTS"}, nil
	}
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := comparison{path: path}
	c.not = p.keyword("NOT")
	op := p.next()
	switch {
	case op.kind == tOp:
		c.op = op.text
		lit := p.next()
		if !isLiteral(lit.kind) {
			return nil, p.errorf(lit, "expected a literal after %s, got %s", op.text, lit)
		}
		if op.text != "=" && op.text != "!=" && (lit.kind == tBool || lit.kind == tHex || lit.kind == tBinary) {
			return nil, p.errorf(lit, "%s cannot be compared with %s", lit, op.text)
		}
		c.lits = []token{lit}
	case op.kind == tIdent && strings.EqualFold(op.text, "IN"):
		c.op = "IN"
		l := p.next()
		if l.kind != tLParen {
			return nil, p.errorf(l, "IN needs a list in parentheses, got %s", l)
		}
		for {
			lit := p.next()
			if lit.kind == tRParen && len(c.lits) == 0 {
				break
			}
			if !isLiteral(lit.kind) {
				return nil, p.errorf(lit, "expected a literal in the IN list, got %s", lit)
			}
			c.lits = append(c.lits, lit)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.errorf(sep, "expected ',' or ')' in the IN list, got %s", sep)
			}
		}
	case op.kind == tIdent && (strings.EqualFold(op.text, "LIKE") || strings.EqualFold(op.text, "MATCHES") ||
		strings.EqualFold(op.text, "ISSUBSET") || strings.EqualFold(op.text, "ISSUPERSET")):
		c.op = strings.ToUpper(op.text)
		lit := p.next()
		if lit.kind != tString {
			return nil, p.errorf(lit, "%s needs a string, got %s", c.op, lit)
		}
		c.lits = []token{lit}
	default:
		return nil, p.errorf(op, "expected a comparison operator after %s, got %s", path, op)
	}
	return c, nil
}

func isLiteral(k tokKind) bool {
	switch k {
	case tString, tInt, tFloat, tTimestamp, tHex, tBinary, tBool:
		return true
	}
	return false
}

// objectPath: type ':' first ( '.' step | '[' index ']' )*
func (p *parser) objectPath() (ObjectPath, error) {
	t := p.next()
	if t.kind != tIdent {
		return ObjectPath{}, p.errorf(t, "expected an object type (e.g. ipv4-addr), got %s", t)
	}
	path := ObjectPath{Type: t.text}
	if c := p.next(); c.kind != tColon {
		return ObjectPath{}, p.errorf(c, "expected ':' after the object type %s, got %s", t.text, c)
	}
	first := p.next()
	if first.kind != tIdent && first.kind != tString {
		return ObjectPath{}, p.errorf(first, "expected a property name after %s:, got %s", t.text, first)
	}
	path.Props = append(path.Props, first.text)
	for {
		switch p.peek().kind {
		case tDot:
			p.next()
			s := p.next()
			if s.kind != tIdent && s.kind != tString {
				return ObjectPath{}, p.errorf(s, "expected a property name after '.', got %s", s)
			}
			path.Props = append(path.Props, s.text)
		case tLBrack:
			// A list step, unless this '[' opens the next observation
			// (which cannot follow a path directly).
			p.next()
			ix := p.next()
			if ix.kind != tInt && ix.kind != tStar {
				return ObjectPath{}, p.errorf(ix, "expected an index or '*' in a list step, got %s", ix)
			}
			if e := p.next(); e.kind != tRBrack {
				return ObjectPath{}, p.errorf(e, "expected ']' after the list index, got %s", e)
			}
			path.Props = append(path.Props, "["+ix.text+"]")
		default:
			return path, nil
		}
	}
}
