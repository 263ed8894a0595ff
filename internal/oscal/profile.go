package oscal

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// ReadProfile reads and validates an OSCAL profile in JSON.
func ReadProfile(r io.Reader) (*Profile, error) {
	_, o, err := readRoot(r, "profile")
	if err != nil {
		return nil, err
	}
	return parseProfile(o)
}

// Document is a catalog or a profile.
type Document struct {
	Catalog *Catalog
	Profile *Profile
}

// Read reads either kind of document.
func Read(r io.Reader) (Document, error) {
	name, o, err := readRoot(r, "catalog", "profile")
	if err != nil {
		return Document{}, err
	}
	if name == "catalog" {
		c, err := parseCatalog(o)
		return Document{Catalog: c}, err
	}
	p, err := parseProfile(o)
	return Document{Profile: p}, err
}

// UUID is the document's uuid.
func (d Document) UUID() string {
	if d.Catalog != nil {
		return d.Catalog.UUID
	}
	if d.Profile != nil {
		return d.Profile.UUID
	}
	return ""
}

func parseProfile(o *object) (*Profile, error) {
	if _, err := asObject(o.path, o, "uuid", "metadata", "imports", "merge", "modify", "back-matter"); err != nil {
		return nil, err
	}
	p := &Profile{}
	var err error
	if p.UUID, err = o.uuid("uuid", true); err != nil {
		return nil, err
	}
	md, ok := o.vals["metadata"]
	if !ok {
		return nil, errf(childPath(o.path, "metadata"), "required")
	}
	if p.Metadata, err = parseMetadata(childPath(o.path, "metadata"), md); err != nil {
		return nil, err
	}
	if p.Imports, err = parseList(o, "imports", true, parseImport); err != nil {
		return nil, err
	}
	if len(p.Imports) == 0 {
		return nil, errf(childPath(o.path, "imports"), "must hold at least one import")
	}
	if p.Merge, err = parseMerge(o); err != nil {
		return nil, err
	}
	if p.Modify, err = parseModify(o); err != nil {
		return nil, err
	}
	if p.BackMatter, err = parseBackMatter(o); err != nil {
		return nil, err
	}
	return p, nil
}

func parseImport(p string, v any) (Import, error) {
	var im Import
	o, err := asObject(p, v, "href", "include-all", "include-controls", "exclude-controls")
	if err != nil {
		return im, err
	}
	if im.Href, err = o.str("href", true); err != nil {
		return im, err
	}
	if ia, err := o.obj("include-all", false); err != nil {
		return im, err
	} else if ia != nil {
		if len(ia.keys) > 0 {
			return im, errf(childPath(ia.path, ia.keys[0]), "unknown field (include-all is an empty object)")
		}
		im.IncludeAll = &struct{}{}
	}
	if im.IncludeControls, err = parseList(o, "include-controls", false, parseSelect); err != nil {
		return im, err
	}
	if im.IncludeAll != nil && im.IncludeControls != nil {
		return im, errf(childPath(p, "include-controls"), "an import has include-all or include-controls, not both")
	}
	if im.IncludeAll == nil && im.IncludeControls == nil {
		return im, errf(p, "an import needs include-all or include-controls")
	}
	im.ExcludeControls, err = parseList(o, "exclude-controls", false, parseSelect)
	return im, err
}

func parseSelect(p string, v any) (SelectControl, error) {
	var s SelectControl
	o, err := asObject(p, v, "with-child-controls", "with-ids", "matching")
	if err != nil {
		return s, err
	}
	if s.WithChildControls, err = o.str("with-child-controls", false); err != nil {
		return s, err
	}
	if w := s.WithChildControls; w != "" && w != "yes" && w != "no" {
		return s, errf(childPath(p, "with-child-controls"), "%q: must be yes or no", w)
	}
	if s.WithIDs, err = o.strings("with-ids", false); err != nil {
		return s, err
	}
	for i, id := range s.WithIDs {
		if !tokenRE.MatchString(id) {
			return s, errf(itemPath(childPath(p, "with-ids"), i), "%q is not a control id", id)
		}
	}
	if s.Matching, err = parseList(o, "matching", false, func(mp string, v any) (Matching, error) {
		var m Matching
		o, err := asObject(mp, v, "pattern")
		if err != nil {
			return m, err
		}
		if m.Pattern, err = o.str("pattern", true); err != nil {
			return m, err
		}
		if _, err := path.Match(m.Pattern, ""); err != nil {
			return m, errf(childPath(mp, "pattern"), "%q is not a glob pattern", m.Pattern)
		}
		return m, nil
	}); err != nil {
		return s, err
	}
	return s, nil
}

func parseMerge(o *object) (*Merge, error) {
	mo, err := o.obj("merge", false, "combine", "flat", "as-is", "custom")
	if err != nil || mo == nil {
		return nil, err
	}
	m := &Merge{}
	if c, err := mo.obj("combine", false, "method"); err != nil {
		return nil, err
	} else if c != nil {
		m.Combine = &Combine{}
		if m.Combine.Method, err = c.str("method", false); err != nil {
			return nil, err
		}
		switch m.Combine.Method {
		case "", "use-first", "merge", "keep":
		default:
			return nil, errf(childPath(c.path, "method"), "%q: must be use-first, merge or keep", m.Combine.Method)
		}
	}
	if f, err := mo.obj("flat", false); err != nil {
		return nil, err
	} else if f != nil {
		m.Flat = &struct{}{}
	}
	if v, ok := mo.vals["as-is"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return nil, errf(childPath(mo.path, "as-is"), "must be a boolean, not %s", typeName(v))
		}
		m.AsIs = b
	}
	if c, err := mo.obj("custom", false, "groups", "insert-controls"); err != nil {
		return nil, err
	} else if c != nil {
		m.Custom = &CustomMerge{}
		if m.Custom.Groups, err = parseList(c, "groups", false, parseCustomGroup); err != nil {
			return nil, err
		}
		if m.Custom.InsertControls, err = parseList(c, "insert-controls", false, parseInsertControls); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, b := range []bool{m.Flat != nil, m.AsIs, m.Custom != nil} {
		if b {
			n++
		}
	}
	if n > 1 {
		return nil, errf(mo.path, "choose one of flat, as-is and custom")
	}
	return m, nil
}

func parseCustomGroup(p string, v any) (CustomGroup, error) {
	var g CustomGroup
	o, err := asObject(p, v, "id", "class", "title", "params", "props", "links", "parts", "groups", "insert-controls")
	if err != nil {
		return g, err
	}
	if g.ID, err = o.token("id", false); err != nil {
		return g, err
	}
	if g.Class, err = o.token("class", false); err != nil {
		return g, err
	}
	if g.Title, err = o.str("title", true); err != nil {
		return g, err
	}
	if g.Params, err = parseList(o, "params", false, parseParam); err != nil {
		return g, err
	}
	if g.Props, err = parseList(o, "props", false, parseProp); err != nil {
		return g, err
	}
	if g.Links, err = parseList(o, "links", false, parseLink); err != nil {
		return g, err
	}
	if g.Parts, err = parseList(o, "parts", false, parsePart); err != nil {
		return g, err
	}
	if g.Groups, err = parseList(o, "groups", false, parseCustomGroup); err != nil {
		return g, err
	}
	g.InsertControls, err = parseList(o, "insert-controls", false, parseInsertControls)
	return g, err
}

func parseInsertControls(p string, v any) (InsertControls, error) {
	var ic InsertControls
	o, err := asObject(p, v, "order", "include-all", "include-controls", "exclude-controls")
	if err != nil {
		return ic, err
	}
	if ic.Order, err = o.str("order", false); err != nil {
		return ic, err
	}
	switch ic.Order {
	case "", "keep", "ascending", "descending":
	default:
		return ic, errf(childPath(p, "order"), "%q: must be keep, ascending or descending", ic.Order)
	}
	if ia, err := o.obj("include-all", false); err != nil {
		return ic, err
	} else if ia != nil {
		ic.IncludeAll = &struct{}{}
	}
	if ic.IncludeControls, err = parseList(o, "include-controls", false, parseSelect); err != nil {
		return ic, err
	}
	ic.ExcludeControls, err = parseList(o, "exclude-controls", false, parseSelect)
	return ic, err
}

func parseModify(o *object) (*Modify, error) {
	mo, err := o.obj("modify", false, "set-parameters", "alters")
	if err != nil || mo == nil {
		return nil, err
	}
	m := &Modify{}
	if m.SetParameters, err = parseListLoose(mo, "set-parameters", func(p string, v any) (SetParameter, error) {
		var s SetParameter
		o, err := asObject(p, v, append([]string{"param-id"}, paramKeys[1:len(paramKeys)-1]...)...)
		if err != nil {
			return s, err
		}
		if s.ParamID, err = o.token("param-id", true); err != nil {
			return s, err
		}
		return s, parseParamBody(o, &s)
	}); err != nil {
		return nil, err
	}
	m.Alters, err = parseListLoose(mo, "alters", parseAlter)
	return m, err
}

func parseAlter(p string, v any) (Alter, error) {
	var a Alter
	o, err := asObject(p, v, "control-id", "removes", "adds")
	if err != nil {
		return a, err
	}
	if a.ControlID, err = o.token("control-id", true); err != nil {
		return a, err
	}
	if a.Removes, err = parseList(o, "removes", false, func(rp string, v any) (Remove, error) {
		var r Remove
		o, err := asObject(rp, v, "by-name", "by-class", "by-id", "by-item-name", "by-ns")
		if err != nil {
			return r, err
		}
		if r.ByName, err = o.token("by-name", false); err != nil {
			return r, err
		}
		if r.ByClass, err = o.token("by-class", false); err != nil {
			return r, err
		}
		if r.ByID, err = o.token("by-id", false); err != nil {
			return r, err
		}
		if r.ByItemName, err = o.token("by-item-name", false); err != nil {
			return r, err
		}
		switch r.ByItemName {
		case "", "param", "prop", "link", "part", "mapping", "map":
		default:
			return r, errf(childPath(rp, "by-item-name"), "%q: must be param, prop, link, part, mapping or map", r.ByItemName)
		}
		if r.ByNS, err = o.str("by-ns", false); err != nil {
			return r, err
		}
		if r == (Remove{}) {
			return r, errf(rp, "a remove needs by-name, by-class, by-id, by-item-name or by-ns")
		}
		return r, nil
	}); err != nil {
		return a, err
	}
	a.Adds, err = parseList(o, "adds", false, func(ap string, v any) (Add, error) {
		var ad Add
		o, err := asObject(ap, v, "position", "by-id", "title", "params", "props", "links", "parts")
		if err != nil {
			return ad, err
		}
		if ad.Position, err = o.str("position", false); err != nil {
			return ad, err
		}
		switch ad.Position {
		case "", "before", "after", "starting", "ending":
		default:
			return ad, errf(childPath(ap, "position"), "%q: must be before, after, starting or ending", ad.Position)
		}
		if ad.ByID, err = o.token("by-id", false); err != nil {
			return ad, err
		}
		if ad.Title, err = o.str("title", false); err != nil {
			return ad, err
		}
		if ad.Params, err = parseList(o, "params", false, parseParam); err != nil {
			return ad, err
		}
		if ad.Props, err = parseList(o, "props", false, parseProp); err != nil {
			return ad, err
		}
		if ad.Links, err = parseList(o, "links", false, parseLink); err != nil {
			return ad, err
		}
		ad.Parts, err = parseList(o, "parts", false, parsePart)
		return ad, err
	})
	return a, err
}

// Library holds loaded documents so a profile's imports can be resolved.
// Keys are hrefs or file names.
type Library map[string]Document

// Load finds the document an href names: by the whole href, else by its
// last path segment (so "trestle://catalogs/im8-reform.json" finds
// "im8-reform.json"), else by "urn:uuid:" or a bare uuid.
func (l Library) Load(href string) (Document, error) {
	if d, ok := l[href]; ok {
		return d, nil
	}
	base := href
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	base = path.Base(base)
	if d, ok := l[base]; ok {
		return d, nil
	}
	id := strings.TrimPrefix(href, "urn:uuid:")
	for _, d := range l {
		if d.UUID() == id {
			return d, nil
		}
	}
	return Document{}, fmt.Errorf("no loaded catalog or profile matches %q", href)
}
