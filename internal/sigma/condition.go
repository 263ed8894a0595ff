package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

type condOp uint8

const (
	cIdent condOp = iota
	cAnd
	cOr
	cNot
	cOf // n of pattern (n == 0 means all)
)

// condNode is the parsed condition expression.
type condNode struct {
	op      condOp
	kids    []*condNode
	ident   string // cIdent
	pattern string // cOf: identifier pattern or "them"
	n       int    // cOf: how many must match; 0 = all
}

type condToken struct {
	kind byte // 'w' word, '(' ')', '|' pipe, 0 end
	text string
	pos  int
}

const maxConditionDepth = 200

func lexCondition(s string) ([]condToken, error) {
	var toks []condToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, condToken{kind: c, text: string(c), pos: i})
			i++
		case c == '|':
			toks = append(toks, condToken{kind: '|', text: "|", pos: i})
			i++
		case isIdentChar(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			toks = append(toks, condToken{kind: 'w', text: s[i:j], pos: i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return append(toks, condToken{pos: len(s)}), nil
}

func isIdentChar(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == '*' || c == '?' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

type condParser struct {
	toks  []condToken
	i     int
	depth int
}

// parseCondition parses a Sigma condition: or < and < not < "x of" <
// parentheses, keywords case-insensitive.
func parseCondition(s string) (*condNode, error) {
	if strings.Contains(s, "|") {
		return nil, errors.New("aggregation pipes ('| count() ...', Sigma 1.0) are not supported: rewrite the rule as a correlation rule")
	}
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
	}
	return n, nil
}

func (p *condParser) peek() condToken { return p.toks[p.i] }
func (p *condParser) next() condToken {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

func (p *condParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == 'w' && strings.EqualFold(t.text, w)
}

func (p *condParser) or() (*condNode, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		if left.op == cOr {
			left.kids = append(left.kids, right)
		} else {
			left = &condNode{op: cOr, kids: []*condNode{left, right}}
		}
	}
	return left, nil
}

func (p *condParser) and() (*condNode, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		if left.op == cAnd {
			left.kids = append(left.kids, right)
		} else {
			left = &condNode{op: cAnd, kids: []*condNode{left, right}}
		}
	}
	return left, nil
}

func (p *condParser) not() (*condNode, error) {
	if p.isWord("not") {
		p.next()
		p.depth++
		if p.depth > maxConditionDepth {
			return nil, errors.New("condition nests too deeply")
		}
		k, err := p.not()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &condNode{op: cNot, kids: []*condNode{k}}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (*condNode, error) {
	t := p.next()
	switch t.kind {
	case '(':
		p.depth++
		if p.depth > maxConditionDepth {
			return nil, errors.New("condition nests too deeply")
		}
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ')' {
			return nil, fmt.Errorf("missing ')' at offset %d", c.pos)
		}
		return n, nil
	case 'w':
		lw := strings.ToLower(t.text)
		switch lw {
		case "and", "or", "not", "of", "them":
			return nil, fmt.Errorf("unexpected keyword %q at offset %d", t.text, t.pos)
		}
		if p.isWord("of") {
			var n int
			switch lw {
			case "all":
				n = 0
			case "any":
				n = 1
			default:
				v, err := strconv.Atoi(t.text)
				if err != nil || v < 1 {
					return nil, fmt.Errorf("bad quantifier %q before 'of' at offset %d", t.text, t.pos)
				}
				n = v
			}
			p.next()
			pt := p.next()
			if pt.kind != 'w' {
				return nil, fmt.Errorf("missing identifier pattern after 'of' at offset %d", pt.pos)
			}
			pat := pt.text
			if strings.EqualFold(pat, "them") {
				pat = "them"
			}
			return &condNode{op: cOf, n: n, pattern: pat}, nil
		}
		return &condNode{op: cIdent, ident: t.text}, nil
	case 0:
		return nil, errors.New("unexpected end of condition")
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
}

// check verifies that every identifier and pattern refers to a defined
// search identifier.
func (n *condNode) check(idents map[string]*searchIdent) error {
	switch n.op {
	case cIdent:
		if _, ok := idents[n.ident]; !ok {
			return fmt.Errorf("undefined search identifier %q", n.ident)
		}
	case cOf:
		if len(matchIdents(idents, n.pattern)) == 0 {
			return fmt.Errorf("%q: %w", n.pattern, errNoIdents)
		}
	}
	for _, k := range n.kids {
		if err := k.check(idents); err != nil {
			return err
		}
	}
	return nil
}

func (n *condNode) String() string {
	switch n.op {
	case cIdent:
		return n.ident
	case cNot:
		return "not (" + n.kids[0].String() + ")"
	case cOf:
		q := "all"
		if n.n > 0 {
			q = strconv.Itoa(n.n)
		}
		return q + " of " + n.pattern
	}
	sep := " and "
	if n.op == cOr {
		sep = " or "
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = "(" + k.String() + ")"
	}
	return strings.Join(parts, sep)
}
