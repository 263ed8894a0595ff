package oscal

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ReadCatalog reads and validates an OSCAL catalog in JSON.
func ReadCatalog(r io.Reader) (*Catalog, error) {
	_, o, err := readRoot(r, "catalog")
	if err != nil {
		return nil, err
	}
	return parseCatalog(o)
}

func parseCatalog(o *object) (*Catalog, error) {
	if _, err := asObject(o.path, o, "uuid", "metadata", "params", "controls", "groups", "back-matter"); err != nil {
		return nil, err
	}
	c := &Catalog{}
	var err error
	if c.UUID, err = o.uuid("uuid", true); err != nil {
		return nil, err
	}
	md, ok := o.vals["metadata"]
	if !ok {
		return nil, errf(childPath(o.path, "metadata"), "required")
	}
	if c.Metadata, err = parseMetadata(childPath(o.path, "metadata"), md); err != nil {
		return nil, err
	}
	if c.Params, err = parseList(o, "params", false, parseParam); err != nil {
		return nil, err
	}
	if c.Controls, err = parseList(o, "controls", false, parseControl); err != nil {
		return nil, err
	}
	if c.Groups, err = parseList(o, "groups", false, parseGroup); err != nil {
		return nil, err
	}
	if c.BackMatter, err = parseBackMatter(o); err != nil {
		return nil, err
	}
	if err := c.check(o.path); err != nil {
		return nil, err
	}
	return c, nil
}

// check validates what the schema cannot: ids unique across the document
// and every parameter insertion naming a parameter that exists.
func (c *Catalog) check(root string) error {
	ids := map[string]string{}    // control and group ids → first path
	params := map[string]string{} // param ids → first path
	parts := map[string]string{}
	type insert struct{ path, param string }
	var inserts []insert

	unique := func(seen map[string]string, id, path, what string) error {
		if id == "" {
			return nil
		}
		if first, dup := seen[id]; dup {
			return errf(path, "%s id %q is already used at %s", what, id, first)
		}
		seen[id] = path
		return nil
	}
	var walkParts func(path string, ps []Part) error
	walkParts = func(path string, ps []Part) error {
		for i, p := range ps {
			pp := fmt.Sprintf("%s.parts[%d]", path, i)
			if err := unique(parts, p.ID, pp+".id", "part"); err != nil {
				return err
			}
			for _, m := range insertRE.FindAllStringSubmatch(p.Prose, -1) {
				if m[1] == "param" {
					inserts = append(inserts, insert{pp + ".prose", m[2]})
				}
			}
			if err := walkParts(pp, p.Parts); err != nil {
				return err
			}
		}
		return nil
	}
	walkParams := func(path string, ps []Param) error {
		for i, p := range ps {
			if err := unique(params, p.ID, fmt.Sprintf("%s.params[%d].id", path, i), "param"); err != nil {
				return err
			}
		}
		return nil
	}
	var walkControls func(path string, cs []Control) error
	walkControls = func(path string, cs []Control) error {
		for i, c := range cs {
			cp := fmt.Sprintf("%s.controls[%d]", path, i)
			if err := unique(ids, c.ID, cp+".id", "control"); err != nil {
				return err
			}
			if err := walkParams(cp, c.Params); err != nil {
				return err
			}
			if err := walkParts(cp, c.Parts); err != nil {
				return err
			}
			if err := walkControls(cp, c.Controls); err != nil {
				return err
			}
		}
		return nil
	}
	var walkGroups func(path string, gs []Group) error
	walkGroups = func(path string, gs []Group) error {
		for i, g := range gs {
			gp := fmt.Sprintf("%s.groups[%d]", path, i)
			if err := unique(ids, g.ID, gp+".id", "group"); err != nil {
				return err
			}
			if err := walkParams(gp, g.Params); err != nil {
				return err
			}
			if err := walkParts(gp, g.Parts); err != nil {
				return err
			}
			if err := walkGroups(gp, g.Groups); err != nil {
				return err
			}
			if err := walkControls(gp, g.Controls); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walkParams(root, c.Params); err != nil {
		return err
	}
	if err := walkControls(root, c.Controls); err != nil {
		return err
	}
	if err := walkGroups(root, c.Groups); err != nil {
		return err
	}
	for _, in := range inserts {
		if _, ok := params[in.param]; !ok {
			return errf(in.path, "inserts parameter %q, which the catalog does not define", in.param)
		}
	}
	return nil
}

// insertRE matches OSCAL's markup insertion {{ insert: param, id }}.
var insertRE = regexp.MustCompile(`\{\{\s*insert:\s*(param|link),\s*([^\s}]+)\s*\}\}`)

// Walk calls fn for every control in document order, with the groups
// that hold it (outermost first) and its parent control, if any.
func (c *Catalog) Walk(fn func(groups []*Group, parent, ctl *Control)) {
	var walkC func(gs []*Group, parent *Control, cs []Control)
	walkC = func(gs []*Group, parent *Control, cs []Control) {
		for i := range cs {
			fn(gs, parent, &cs[i])
			walkC(gs, &cs[i], cs[i].Controls)
		}
	}
	var walkG func(gs []*Group, groups []Group)
	walkG = func(gs []*Group, groups []Group) {
		for i := range groups {
			path := append(gs[:len(gs):len(gs)], &groups[i])
			walkC(path, nil, groups[i].Controls)
			walkG(path, groups[i].Groups)
		}
	}
	walkC(nil, nil, c.Controls)
	walkG(nil, c.Groups)
}

// ControlCount is the number of controls, child controls (enhancements)
// included.
func (c *Catalog) ControlCount() int {
	n := 0
	c.Walk(func([]*Group, *Control, *Control) { n++ })
	return n
}

// ControlIDs lists every control id in document order.
func (c *Catalog) ControlIDs() []string {
	var ids []string
	c.Walk(func(_ []*Group, _ *Control, ctl *Control) { ids = append(ids, ctl.ID) })
	return ids
}

// Control finds a control by id.
func (c *Catalog) Control(id string) (*Control, bool) {
	var found *Control
	c.Walk(func(_ []*Group, _ *Control, ctl *Control) {
		if found == nil && ctl.ID == id {
			found = ctl
		}
	})
	return found, found != nil
}

// Param finds a parameter anywhere in the catalog.
func (c *Catalog) Param(id string) (*Param, bool) {
	find := func(ps []Param) *Param {
		for i := range ps {
			if ps[i].ID == id {
				return &ps[i]
			}
		}
		return nil
	}
	if p := find(c.Params); p != nil {
		return p, true
	}
	var found *Param
	var walkG func(gs []Group)
	walkG = func(gs []Group) {
		for i := range gs {
			if found == nil {
				found = find(gs[i].Params)
			}
			walkG(gs[i].Groups)
		}
	}
	walkG(c.Groups)
	if found != nil {
		return found, true
	}
	c.Walk(func(_ []*Group, _ *Control, ctl *Control) {
		if found == nil {
			found = find(ctl.Params)
		}
	})
	return found, found != nil
}

// Part returns the control's first part with the given name ("statement",
// "guidance").
func (ctl *Control) Part(name string) (*Part, bool) {
	for i := range ctl.Parts {
		if ctl.Parts[i].Name == name {
			return &ctl.Parts[i], true
		}
	}
	return nil, false
}

// Prop returns the value of the control's first property with that name.
func (ctl *Control) Prop(name string) string {
	for _, p := range ctl.Props {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Text renders a part and its sub-parts as plain text, with parameter
// insertions replaced by the parameter's value (or its label in brackets
// when no value is set), so a statement reads as a sentence.
func (c *Catalog) Text(p *Part) string {
	var b strings.Builder
	var walk func(p *Part, depth int)
	walk = func(p *Part, depth int) {
		line := c.RenderProse(p.Prose)
		label := ""
		for _, pr := range p.Props {
			if pr.Name == "label" {
				label = pr.Value + " "
			}
		}
		next := depth
		if line != "" || label != "" {
			b.WriteString(strings.Repeat("  ", depth))
			b.WriteString(label)
			b.WriteString(line)
			b.WriteByte('\n')
			next++
		}
		for i := range p.Parts {
			walk(&p.Parts[i], next)
		}
	}
	walk(p, 0)
	return strings.TrimRight(b.String(), "\n")
}

// RenderProse replaces {{ insert: param, id }} with the parameter's value.
func (c *Catalog) RenderProse(prose string) string {
	return insertRE.ReplaceAllStringFunc(prose, func(m string) string {
		sub := insertRE.FindStringSubmatch(m)
		if sub[1] != "param" {
			return m
		}
		p, ok := c.Param(sub[2])
		if !ok {
			return "[" + sub[2] + "]"
		}
		return p.Display()
	})
}

// Display is how a parameter reads in prose: its values, else its choices,
// else its label, in brackets when not set.
func (p *Param) Display() string {
	switch {
	case len(p.Values) > 0:
		return strings.Join(p.Values, ", ")
	case p.Select != nil && len(p.Select.Choice) > 0:
		return "[Selection: " + strings.Join(p.Select.Choice, "; ") + "]"
	case p.Label != "":
		return "[Assignment: " + p.Label + "]"
	}
	return "[" + p.ID + "]"
}
