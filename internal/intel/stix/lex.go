package stix

import (
	"fmt"
	"strings"
)

// tokKind is the kind of a pattern token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString    // '…'
	tInt       // 12, -3
	tFloat     // 1.5
	tTimestamp // t'…'
	tHex       // h'…'
	tBinary    // b'…'
	tBool      // true, false
	tOp        // = != <> < <= > >=
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
)

type token struct {
	kind tokKind
	text string // identifier (as written), operator, or literal value (unquoted, unescaped)
	pos  int    // byte offset in the pattern
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return fmt.Sprintf("'%s'", t.text)
	case tTimestamp, tHex, tBinary:
		return fmt.Sprintf("%c'%s'", "t hb"[t.kind-tTimestamp], t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// SyntaxError is a pattern that does not follow the STIX patterning
// grammar.
type SyntaxError struct {
	Pos int // byte offset
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("pattern syntax error at offset %d: %s", e.Pos, e.Msg)
}

// lex splits a pattern into tokens.
func lex(p string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(p) {
		c := p[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '[':
			toks = append(toks, token{tLBrack, "[", i})
			i++
		case c == ']':
			toks = append(toks, token{tRBrack, "]", i})
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ':':
			toks = append(toks, token{tColon, ":", i})
			i++
		case c == '.':
			toks = append(toks, token{tDot, ".", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == '*':
			toks = append(toks, token{tStar, "*", i})
			i++
		case c == '=':
			toks = append(toks, token{tOp, "=", i})
			i++
		case c == '!':
			if i+1 < len(p) && p[i+1] == '=' {
				toks = append(toks, token{tOp, "!=", i})
				i += 2
				continue
			}
			return nil, &SyntaxError{i, "'!' not followed by '='"}
		case c == '<':
			switch {
			case i+1 < len(p) && p[i+1] == '=':
				toks = append(toks, token{tOp, "<=", i})
				i += 2
			case i+1 < len(p) && p[i+1] == '>':
				toks = append(toks, token{tOp, "!=", i})
				i += 2
			default:
				toks = append(toks, token{tOp, "<", i})
				i++
			}
		case c == '>':
			if i+1 < len(p) && p[i+1] == '=' {
				toks = append(toks, token{tOp, ">=", i})
				i += 2
			} else {
				toks = append(toks, token{tOp, ">", i})
				i++
			}
		case c == '\'':
			s, n, err := lexString(p, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s, start})
			i = n
		case (c == 't' || c == 'h' || c == 'b') && i+1 < len(p) && p[i+1] == '\'':
			s, n, err := lexString(p, i+1)
			if err != nil {
				return nil, err
			}
			k := map[byte]tokKind{'t': tTimestamp, 'h': tHex, 'b': tBinary}[c]
			toks = append(toks, token{k, s, start})
			i = n
		case c == '-' || c == '+' || isDigit(c):
			j := i + 1
			for j < len(p) && isDigit(p[j]) {
				j++
			}
			kind := tInt
			if j < len(p) && p[j] == '.' && j+1 < len(p) && isDigit(p[j+1]) {
				kind = tFloat
				j++
				for j < len(p) && isDigit(p[j]) {
					j++
				}
			}
			if j == i+1 && !isDigit(c) {
				return nil, &SyntaxError{i, fmt.Sprintf("%q is not a number", c)}
			}
			toks = append(toks, token{kind, p[i:j], start})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(p) && (isIdentStart(p[j]) || isDigit(p[j]) || p[j] == '-') {
				j++
			}
			w := p[i:j]
			if strings.EqualFold(w, "true") || strings.EqualFold(w, "false") {
				toks = append(toks, token{tBool, strings.ToLower(w), start})
			} else {
				toks = append(toks, token{tIdent, w, start})
			}
			i = j
		default:
			return nil, &SyntaxError{i, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{tEOF, "", len(p)}), nil
}

// lexString reads a quoted string starting at the quote at i; \' and \\
// are the only escapes.
func lexString(p string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\'':
			return b.String(), j + 1, nil
		case '\\':
			if j+1 < len(p) && (p[j+1] == '\'' || p[j+1] == '\\') {
				b.WriteByte(p[j+1])
				j++
				continue
			}
			return "", 0, &SyntaxError{j, "a backslash in a string must escape ' or \\"}
		default:
			b.WriteByte(p[j])
		}
	}
	return "", 0, &SyntaxError{i, "unterminated string"}
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
