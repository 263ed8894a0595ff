package sigma

import (
	"fmt"
)

type exprOp uint8

const (
	eFalse exprOp = iota
	eTrue
	eAnd
	eOr
	eNot
	ePred
	eAtLeast // at least n kids true
)

// expr is a boolean expression over preds: a rule's detection with its
// condition resolved.
type expr struct {
	op   exprOp
	kids []*expr
	p    *pred
	n    int
}

// buildRuleExpr resolves a detection's condition into one expression,
// applying the field mapping and placeholder expansion.
func buildRuleExpr(d *Detection, fieldMap func(string) string, ph placeholderFunc) (*expr, error) {
	built := map[string]*expr{}
	var ident func(name string) (*expr, error)
	ident = func(name string) (*expr, error) {
		if e, ok := built[name]; ok {
			return e, nil
		}
		si := d.idents[name]
		var alts []*expr
		for _, alt := range si.alts {
			var items []*expr
			for _, it := range alt {
				e, err := it.build(fieldMap, ph)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				items = append(items, e)
			}
			alts = append(alts, mkAnd(items))
		}
		e := mkOr(alts)
		built[name] = e
		return e, nil
	}
	var walk func(n *condNode) (*expr, error)
	walk = func(n *condNode) (*expr, error) {
		switch n.op {
		case cIdent:
			return ident(n.ident)
		case cNot:
			k, err := walk(n.kids[0])
			if err != nil {
				return nil, err
			}
			return &expr{op: eNot, kids: []*expr{k}}, nil
		case cAnd, cOr:
			var kids []*expr
			for _, c := range n.kids {
				k, err := walk(c)
				if err != nil {
					return nil, err
				}
				kids = append(kids, k)
			}
			if n.op == cAnd {
				return mkAnd(kids), nil
			}
			return mkOr(kids), nil
		case cOf:
			names := matchIdents(d.idents, n.pattern)
			var kids []*expr
			for _, name := range names {
				k, err := ident(name)
				if err != nil {
					return nil, err
				}
				kids = append(kids, k)
			}
			switch {
			case n.n == 0:
				return mkAnd(kids), nil
			case n.n == 1:
				return mkOr(kids), nil
			case n.n > len(kids):
				return &expr{op: eFalse}, nil
			}
			return &expr{op: eAtLeast, n: n.n, kids: kids}, nil
		}
		return nil, fmt.Errorf("bad condition node %d", n.op)
	}
	return walk(d.cond)
}

func mkAnd(kids []*expr) *expr {
	if len(kids) == 1 {
		return kids[0]
	}
	return &expr{op: eAnd, kids: kids}
}

func mkOr(kids []*expr) *expr {
	if len(kids) == 1 {
		return kids[0]
	}
	return &expr{op: eOr, kids: kids}
}

// preds calls fn for every pred in e.
func (e *expr) preds(fn func(*pred)) {
	if e.op == ePred {
		fn(e.p)
	}
	for _, k := range e.kids {
		k.preds(fn)
	}
}
