package oscal

import (
	"fmt"
	"slices"
)

// modify applies the profile's set-parameters and alters to the resolved
// catalog.
func (p *Profile) modify(out *Catalog) error {
	if p.Modify == nil {
		return nil
	}
	for i, sp := range p.Modify.SetParameters {
		path := fmt.Sprintf("$.profile.modify.set-parameters[%d]", i)
		prm, ok := out.Param(sp.ParamID)
		if !ok {
			return errf(path+".param-id", "parameter %q is not in the selected controls", sp.ParamID)
		}
		setParam(prm, sp)
	}
	for i, a := range p.Modify.Alters {
		path := fmt.Sprintf("$.profile.modify.alters[%d]", i)
		ctl, ok := out.Control(a.ControlID)
		if !ok {
			return errf(path+".control-id", "control %q is not in the selected controls", a.ControlID)
		}
		for _, r := range a.Removes {
			remove(ctl, r)
		}
		for j, ad := range a.Adds {
			if err := add(ctl, ad, fmt.Sprintf("%s.adds[%d]", path, j)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setParam changes a parameter: scalars and values are replaced, lists of
// props, links, constraints and guidelines are added to.
func setParam(p *Param, s SetParameter) {
	if s.Class != "" {
		p.Class = s.Class
	}
	if s.DependsOn != "" {
		p.DependsOn = s.DependsOn
	}
	if s.Label != "" {
		p.Label = s.Label
	}
	if s.Usage != "" {
		p.Usage = s.Usage
	}
	p.Props = append(p.Props, s.Props...)
	p.Links = append(p.Links, s.Links...)
	p.Constraints = append(p.Constraints, s.Constraints...)
	p.Guidelines = append(p.Guidelines, s.Guidelines...)
	if s.Values != nil {
		p.Values, p.Select = s.Values, nil
	}
	if s.Select != nil {
		p.Select, p.Values = s.Select, nil
	}
}

func (r Remove) match(item, id, name, class, ns string) bool {
	if r.ByItemName != "" && r.ByItemName != item {
		return false
	}
	if r.ByID != "" && r.ByID != id {
		return false
	}
	if r.ByName != "" && r.ByName != name {
		return false
	}
	if r.ByClass != "" && r.ByClass != class {
		return false
	}
	if r.ByNS != "" && r.ByNS != ns {
		return false
	}
	return true
}

func removeFrom(r Remove, props []Prop, links []Link, parts []Part) ([]Prop, []Link, []Part) {
	props = slices.DeleteFunc(props, func(x Prop) bool { return r.match("prop", x.UUID, x.Name, x.Class, x.NS) })
	links = slices.DeleteFunc(links, func(x Link) bool { return r.match("link", "", x.Rel, "", "") })
	parts = slices.DeleteFunc(parts, func(x Part) bool { return r.match("part", x.ID, x.Name, x.Class, x.NS) })
	for i := range parts {
		parts[i].Props, parts[i].Links, parts[i].Parts = removeFrom(r, parts[i].Props, parts[i].Links, parts[i].Parts)
	}
	return props, links, parts
}

func remove(ctl *Control, r Remove) {
	ctl.Params = slices.DeleteFunc(ctl.Params, func(x Param) bool { return r.match("param", x.ID, "", x.Class, "") })
	ctl.Props, ctl.Links, ctl.Parts = removeFrom(r, ctl.Props, ctl.Links, ctl.Parts)
}

// findPart returns the slice holding the part with that id and its index.
func findPart(parts *[]Part, id string) (*[]Part, int) {
	for i := range *parts {
		if (*parts)[i].ID == id {
			return parts, i
		}
		if s, j := findPart(&(*parts)[i].Parts, id); s != nil {
			return s, j
		}
	}
	return nil, -1
}

func add(ctl *Control, ad Add, path string) error {
	pos := ad.Position
	if pos == "" {
		pos = "ending"
	}
	if ad.ByID == "" || ad.ByID == ctl.ID {
		if ad.Title != "" {
			ctl.Title = ad.Title
		}
		if pos == "starting" || pos == "before" {
			ctl.Params = append(slices.Clone(ad.Params), ctl.Params...)
			ctl.Props = append(slices.Clone(ad.Props), ctl.Props...)
			ctl.Links = append(slices.Clone(ad.Links), ctl.Links...)
			ctl.Parts = append(slices.Clone(ad.Parts), ctl.Parts...)
		} else {
			ctl.Params = append(ctl.Params, ad.Params...)
			ctl.Props = append(ctl.Props, ad.Props...)
			ctl.Links = append(ctl.Links, ad.Links...)
			ctl.Parts = append(ctl.Parts, ad.Parts...)
		}
		return nil
	}
	if i := slices.IndexFunc(ctl.Params, func(x Param) bool { return x.ID == ad.ByID }); i >= 0 {
		switch pos {
		case "before":
			ctl.Params = slices.Insert(ctl.Params, i, ad.Params...)
		case "after":
			ctl.Params = slices.Insert(ctl.Params, i+1, ad.Params...)
		default:
			return errf(path+".position", "params can only be added before or after parameter %q", ad.ByID)
		}
		return nil
	}
	list, i := findPart(&ctl.Parts, ad.ByID)
	if list == nil {
		return errf(path+".by-id", "control %q has no part or parameter %q", ctl.ID, ad.ByID)
	}
	switch pos {
	case "before":
		*list = slices.Insert(*list, i, ad.Parts...)
	case "after":
		*list = slices.Insert(*list, i+1, ad.Parts...)
	case "starting":
		t := &(*list)[i]
		t.Props = append(slices.Clone(ad.Props), t.Props...)
		t.Links = append(slices.Clone(ad.Links), t.Links...)
		t.Parts = append(slices.Clone(ad.Parts), t.Parts...)
	case "ending":
		t := &(*list)[i]
		t.Props = append(t.Props, ad.Props...)
		t.Links = append(t.Links, ad.Links...)
		t.Parts = append(t.Parts, ad.Parts...)
	}
	if ad.Title != "" && (pos == "starting" || pos == "ending") {
		(*list)[i].Title = ad.Title
	}
	return nil
}
