package oscal

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Loader returns the catalog or profile an import's href names.
type Loader func(href string) (Document, error)

// maxImportDepth bounds chains of profiles importing profiles.
const maxImportDepth = 16

// Resolve resolves the profile into the catalog it describes: the
// controls it selects from its imports (profiles are resolved first),
// arranged as its merge says, with its parameter settings and
// alterations applied. Problems name the profile member at fault.
func (p *Profile) Resolve(load Loader) (*Catalog, error) {
	return p.resolve(load, map[string]bool{}, 0)
}

func (p *Profile) resolve(load Loader, visiting map[string]bool, depth int) (*Catalog, error) {
	if depth > maxImportDepth {
		return nil, errf("$.profile.imports", "profiles import each other more than %d deep", maxImportDepth)
	}
	if visiting[p.UUID] {
		return nil, errf("$.profile.imports", "profile %s imports itself", p.UUID)
	}
	visiting[p.UUID] = true
	defer delete(visiting, p.UUID)

	method := "use-first"
	if p.Merge != nil && p.Merge.Combine != nil && p.Merge.Combine.Method != "" {
		method = p.Merge.Combine.Method
	}
	var parts []*Catalog
	for i, im := range p.Imports {
		ip := fmt.Sprintf("$.profile.imports[%d]", i)
		src, err := p.source(load, im.Href, ip, visiting, depth)
		if err != nil {
			return nil, err
		}
		sel, err := selectControls(src, im, ip)
		if err != nil {
			return nil, err
		}
		parts = append(parts, prune(src, sel))
	}

	out := &Catalog{UUID: uuidV5(p.UUID, "resolved"), Metadata: p.Metadata}
	out.Metadata.Props = append(slices.Clone(p.Metadata.Props), Prop{Name: "resolution-tool", Value: "kubu"})
	seen := map[string]bool{}
	dedupe := func(id string) (keep bool, err error) {
		if seen[id] {
			if method == "keep" {
				return false, errf("$.profile.merge.combine.method", "control %q is selected twice and the method is keep", id)
			}
			return false, nil
		}
		seen[id] = true
		return true, nil
	}
	switch {
	case p.Merge != nil && p.Merge.AsIs:
		for _, c := range parts {
			if err := mergeAsIs(out, c, dedupe); err != nil {
				return nil, err
			}
		}
	default: // flat (the default) and custom start from the flat list
		addParams := func(ps []Param) {
			for _, p := range ps {
				if !slices.ContainsFunc(out.Params, func(x Param) bool { return x.ID == p.ID }) {
					out.Params = append(out.Params, p)
				}
			}
		}
		for _, c := range parts {
			addParams(c.Params)
			var err error
			c.Walk(func(gs []*Group, _ *Control, ctl *Control) {
				if err != nil {
					return
				}
				var keep bool
				if keep, err = dedupe(ctl.ID); keep {
					flat := *ctl
					flat.Controls = nil
					out.Controls = append(out.Controls, flat)
				}
			})
			if err != nil {
				return nil, err
			}
			var groupParams func(gs []Group)
			groupParams = func(gs []Group) {
				for _, g := range gs {
					addParams(g.Params)
					groupParams(g.Groups)
				}
			}
			groupParams(c.Groups)
		}
		if p.Merge != nil && p.Merge.Custom != nil {
			if err := arrangeCustom(out, p.Merge.Custom); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range parts {
		if c.BackMatter == nil {
			continue
		}
		if out.BackMatter == nil {
			out.BackMatter = &BackMatter{}
		}
		for _, r := range c.BackMatter.Resources {
			if !slices.ContainsFunc(out.BackMatter.Resources, func(x Resource) bool { return x.UUID == r.UUID }) {
				out.BackMatter.Resources = append(out.BackMatter.Resources, r)
			}
		}
	}
	if err := p.modify(out); err != nil {
		return nil, err
	}
	if err := out.check("$.catalog"); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, errf("$.profile.modify", "the resolved catalog is not valid: %s: %s", e.Path, e.Msg)
		}
		return nil, err
	}
	return out, nil
}

// source loads an import's catalog, resolving a profile first. An href
// "#uuid" names a back-matter resource whose first rlink is followed.
func (p *Profile) source(load Loader, href, ip string, visiting map[string]bool, depth int) (*Catalog, error) {
	if strings.HasPrefix(href, "#") {
		id := href[1:]
		var target string
		if p.BackMatter != nil {
			for _, r := range p.BackMatter.Resources {
				if r.UUID == id && len(r.RLinks) > 0 {
					target = r.RLinks[0].Href
				}
			}
		}
		if target == "" {
			return nil, errf(ip+".href", "%q names no back-matter resource with an rlink", href)
		}
		href = target
	}
	if load == nil {
		return nil, errf(ip+".href", "cannot load %q: no loader", href)
	}
	doc, err := load(href)
	if err != nil {
		return nil, errf(ip+".href", "cannot load %q: %v", href, err)
	}
	switch {
	case doc.Catalog != nil:
		return clone(doc.Catalog), nil
	case doc.Profile != nil:
		c, err := doc.Profile.resolve(load, visiting, depth+1)
		if err != nil {
			return nil, errf(ip+".href", "resolving profile %q: %v", href, err)
		}
		return c, nil
	}
	return nil, errf(ip+".href", "%q is neither a catalog nor a profile", href)
}

func clone(c *Catalog) *Catalog {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // the model always marshals
	}
	var out Catalog
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return &out
}

// selectControls applies an import's include and exclude rules.
func selectControls(src *Catalog, im Import, ip string) (map[string]bool, error) {
	all := src.ControlIDs()
	children := map[string][]string{}
	src.Walk(func(_ []*Group, parent, ctl *Control) {
		if parent != nil {
			children[parent.ID] = append(children[parent.ID], ctl.ID)
		}
	})
	var addTree func(set map[string]bool, id string, on bool)
	addTree = func(set map[string]bool, id string, on bool) {
		set[id] = on
		for _, ch := range children[id] {
			addTree(set, ch, on)
		}
	}
	apply := func(set map[string]bool, sels []SelectControl, sp string, on bool) error {
		for j, s := range sels {
			withChildren := s.WithChildControls == "yes"
			mark := func(id string) {
				if withChildren {
					addTree(set, id, on)
				} else {
					set[id] = on
				}
			}
			for k, id := range s.WithIDs {
				if !slices.Contains(all, id) {
					return errf(fmt.Sprintf("%s[%d].with-ids[%d]", sp, j, k), "control %q is not in the imported %s", id, src.Metadata.Title)
				}
				mark(id)
			}
			for _, m := range s.Matching {
				for _, id := range all {
					if ok, _ := path.Match(m.Pattern, id); ok {
						mark(id)
					}
				}
			}
		}
		return nil
	}
	set := map[string]bool{}
	if im.IncludeAll != nil {
		for _, id := range all {
			set[id] = true
		}
	}
	if err := apply(set, im.IncludeControls, ip+".include-controls", true); err != nil {
		return nil, err
	}
	if err := apply(set, im.ExcludeControls, ip+".exclude-controls", false); err != nil {
		return nil, err
	}
	return set, nil
}

// prune keeps the selected controls in the source's structure. A control
// that is not selected but has selected children gives its place to them;
// groups left with no controls are dropped.
func prune(src *Catalog, sel map[string]bool) *Catalog {
	var pc func(cs []Control) []Control
	pc = func(cs []Control) []Control {
		var out []Control
		for _, c := range cs {
			kids := pc(c.Controls)
			if sel[c.ID] {
				c.Controls = kids
				out = append(out, c)
			} else {
				out = append(out, kids...)
			}
		}
		return out
	}
	var pg func(gs []Group) []Group
	pg = func(gs []Group) []Group {
		var out []Group
		for _, g := range gs {
			g.Controls = pc(g.Controls)
			g.Groups = pg(g.Groups)
			if len(g.Controls) > 0 || len(g.Groups) > 0 {
				out = append(out, g)
			}
		}
		return out
	}
	out := *src
	out.Controls = pc(src.Controls)
	out.Groups = pg(src.Groups)
	return &out
}

// mergeAsIs adds a pruned catalog into out keeping its structure; groups
// with the same id (or, without ids, the same title) become one.
func mergeAsIs(out, c *Catalog, dedupe func(string) (bool, error)) error {
	var dc func(cs []Control) ([]Control, error)
	dc = func(cs []Control) ([]Control, error) {
		var keep []Control
		for _, ctl := range cs {
			ok, err := dedupe(ctl.ID)
			if err != nil {
				return nil, err
			}
			kids, err := dc(ctl.Controls)
			if err != nil {
				return nil, err
			}
			if ok {
				ctl.Controls = kids
				keep = append(keep, ctl)
			} else {
				keep = append(keep, kids...)
			}
		}
		return keep, nil
	}
	var mg func(into *[]Group, gs []Group) error
	mg = func(into *[]Group, gs []Group) error {
		for _, g := range gs {
			ctls, err := dc(g.Controls)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(*into, func(x Group) bool {
				if g.ID != "" || x.ID != "" {
					return x.ID == g.ID
				}
				return x.Title == g.Title
			})
			if i < 0 {
				sub := g.Groups
				g.Groups, g.Controls = nil, ctls
				*into = append(*into, g)
				i = len(*into) - 1
				if err := mg(&(*into)[i].Groups, sub); err != nil {
					return err
				}
				continue
			}
			(*into)[i].Controls = append((*into)[i].Controls, ctls...)
			for _, p := range g.Params {
				if !slices.ContainsFunc((*into)[i].Params, func(x Param) bool { return x.ID == p.ID }) {
					(*into)[i].Params = append((*into)[i].Params, p)
				}
			}
			if err := mg(&(*into)[i].Groups, g.Groups); err != nil {
				return err
			}
		}
		return nil
	}
	ctls, err := dc(c.Controls)
	if err != nil {
		return err
	}
	out.Controls = append(out.Controls, ctls...)
	for _, p := range c.Params {
		if !slices.ContainsFunc(out.Params, func(x Param) bool { return x.ID == p.ID }) {
			out.Params = append(out.Params, p)
		}
	}
	return mg(&out.Groups, c.Groups)
}

// arrangeCustom places the flat list of controls into the profile's own
// groups.
func arrangeCustom(out *Catalog, cm *CustomMerge) error {
	pool := out.Controls
	ids := make([]string, len(pool))
	for i, c := range pool {
		ids[i] = c.ID
	}
	byID := map[string]Control{}
	for _, c := range pool {
		byID[c.ID] = c
	}
	pick := func(ics []InsertControls, ip string) ([]Control, error) {
		var got []Control
		for n, ic := range ics {
			set := map[string]bool{}
			if ic.IncludeAll != nil {
				for _, id := range ids {
					set[id] = true
				}
			}
			mark := func(sels []SelectControl, on bool, sp string) error {
				for j, s := range sels {
					for k, id := range s.WithIDs {
						if _, ok := byID[id]; !ok {
							return errf(fmt.Sprintf("%s[%d].%s[%d].with-ids[%d]", ip, n, sp, j, k), "control %q is not among the selected controls", id)
						}
						set[id] = on
					}
					for _, m := range s.Matching {
						for _, id := range ids {
							if ok, _ := path.Match(m.Pattern, id); ok {
								set[id] = on
							}
						}
					}
				}
				return nil
			}
			if err := mark(ic.IncludeControls, true, "include-controls"); err != nil {
				return nil, err
			}
			if err := mark(ic.ExcludeControls, false, "exclude-controls"); err != nil {
				return nil, err
			}
			var these []Control
			for _, id := range ids {
				if set[id] {
					these = append(these, byID[id])
				}
			}
			switch ic.Order {
			case "ascending":
				slices.SortStableFunc(these, func(a, b Control) int { return strings.Compare(a.ID, b.ID) })
			case "descending":
				slices.SortStableFunc(these, func(a, b Control) int { return strings.Compare(b.ID, a.ID) })
			}
			got = append(got, these...)
		}
		return got, nil
	}
	var build func(cgs []CustomGroup, gp string) ([]Group, error)
	build = func(cgs []CustomGroup, gp string) ([]Group, error) {
		var gs []Group
		for i, cg := range cgs {
			p := fmt.Sprintf("%s[%d]", gp, i)
			ctls, err := pick(cg.InsertControls, p+".insert-controls")
			if err != nil {
				return nil, err
			}
			sub, err := build(cg.Groups, p+".groups")
			if err != nil {
				return nil, err
			}
			gs = append(gs, Group{ID: cg.ID, Class: cg.Class, Title: cg.Title, Params: cg.Params, Props: cg.Props,
				Links: cg.Links, Parts: cg.Parts, Groups: sub, Controls: ctls})
		}
		return gs, nil
	}
	top, err := pick(cm.InsertControls, "$.profile.merge.custom.insert-controls")
	if err != nil {
		return err
	}
	groups, err := build(cm.Groups, "$.profile.merge.custom.groups")
	if err != nil {
		return err
	}
	out.Controls, out.Groups = top, groups
	return nil
}

// uuidV5 derives a name-based UUID in the version 5 layout (SHA-1 of the
// names), so resolving the same profile twice gives the same catalog uuid.
func uuidV5(namespace, name string) string {
	h := sha1.Sum([]byte(namespace + "\x00" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
