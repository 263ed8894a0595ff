package oscal

import "strings"

// Converters from the decoded tree to the model. Each checks the types,
// the required members and the formats of what it reads, and refuses
// members OSCAL does not define.

func parseList[T any](o *object, key string, required bool, one func(path string, v any) (T, error)) ([]T, error) {
	items, p, err := o.arr(key, required)
	if err != nil {
		return nil, err
	}
	if !o.has(key) {
		return nil, nil
	}
	if len(items) == 0 {
		return nil, errf(p, "must hold at least one item (leave the member out instead)")
	}
	out := make([]T, 0, len(items))
	for i, it := range items {
		t, err := one(itemPath(p, i), it)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// parseListLoose is parseList for arrays real documents leave empty
// (IM8's "set-parameters": [] and "alters": []); an empty array is read as
// absent.
func parseListLoose[T any](o *object, key string, one func(path string, v any) (T, error)) ([]T, error) {
	if items, _, err := o.arr(key, false); err != nil || len(items) == 0 {
		return nil, err
	}
	return parseList(o, key, false, one)
}

func parseMetadata(path string, v any) (Metadata, error) {
	var m Metadata
	o, err := asObject(path, v, "title", "published", "last-modified", "version", "oscal-version",
		"revisions", "document-ids", "props", "links", "roles", "locations", "parties",
		"responsible-parties", "actions", "remarks")
	if err != nil {
		return m, err
	}
	if m.Title, err = o.str("title", true); err != nil {
		return m, err
	}
	if m.Published, err = o.dateTime("published", false); err != nil {
		return m, err
	}
	if m.LastModified, err = o.dateTime("last-modified", true); err != nil {
		return m, err
	}
	if m.Version, err = o.str("version", true); err != nil {
		return m, err
	}
	if m.OSCALVersion, err = o.str("oscal-version", true); err != nil {
		return m, err
	}
	if !strings.HasPrefix(m.OSCALVersion, "1.") {
		return m, errf(childPath(path, "oscal-version"), "%q: kubu reads OSCAL 1.x", m.OSCALVersion)
	}
	if m.Props, err = parseListLoose(o, "props", parseProp); err != nil {
		return m, err
	}
	if m.Links, err = parseListLoose(o, "links", parseLink); err != nil {
		return m, err
	}
	if m.Roles, err = parseListLoose(o, "roles", parseRole); err != nil {
		return m, err
	}
	if m.Parties, err = parseListLoose(o, "parties", parseParty); err != nil {
		return m, err
	}
	if m.ResponsibleParties, err = parseListLoose(o, "responsible-parties", parseResponsibleParty); err != nil {
		return m, err
	}
	for _, k := range []string{"revisions", "document-ids", "locations", "actions"} {
		if _, _, err := o.arr(k, false); err != nil {
			return m, err
		}
	}
	m.Remarks, err = o.str("remarks", false)
	return m, err
}

func parseRole(path string, v any) (Role, error) {
	var r Role
	o, err := asObject(path, v, "id", "title", "short-name", "description", "props", "links", "remarks")
	if err != nil {
		return r, err
	}
	if r.ID, err = o.token("id", true); err != nil {
		return r, err
	}
	r.Title, err = o.str("title", true)
	return r, err
}

func parseParty(path string, v any) (Party, error) {
	var p Party
	o, err := asObject(path, v, "uuid", "type", "name", "short-name", "external-ids", "props", "links",
		"email-addresses", "telephone-numbers", "addresses", "location-uuids", "member-of-organizations", "remarks")
	if err != nil {
		return p, err
	}
	if p.UUID, err = o.uuid("uuid", true); err != nil {
		return p, err
	}
	if p.Type, err = o.str("type", true); err != nil {
		return p, err
	}
	if p.Type != "person" && p.Type != "organization" {
		return p, errf(childPath(path, "type"), "%q: must be person or organization", p.Type)
	}
	if p.Name, err = o.str("name", false); err != nil {
		return p, err
	}
	p.EmailAddresses, err = o.strings("email-addresses", false)
	return p, err
}

func parseResponsibleParty(path string, v any) (ResponsibleParty, error) {
	var r ResponsibleParty
	o, err := asObject(path, v, "role-id", "party-uuids", "props", "links", "remarks")
	if err != nil {
		return r, err
	}
	if r.RoleID, err = o.token("role-id", true); err != nil {
		return r, err
	}
	r.PartyUUIDs, err = o.strings("party-uuids", true)
	return r, err
}

func parseProp(path string, v any) (Prop, error) {
	var p Prop
	o, err := asObject(path, v, "name", "uuid", "ns", "value", "class", "group", "remarks")
	if err != nil {
		return p, err
	}
	if p.Name, err = o.token("name", true); err != nil {
		return p, err
	}
	if p.UUID, err = o.uuid("uuid", false); err != nil {
		return p, err
	}
	if p.NS, err = o.str("ns", false); err != nil {
		return p, err
	}
	if p.Value, err = o.str("value", true); err != nil {
		return p, err
	}
	if p.Class, err = o.token("class", false); err != nil {
		return p, err
	}
	if p.Group, err = o.token("group", false); err != nil {
		return p, err
	}
	p.Remarks, err = o.str("remarks", false)
	return p, err
}

func parseLink(path string, v any) (Link, error) {
	var l Link
	o, err := asObject(path, v, "href", "rel", "media-type", "resource-fragment", "text")
	if err != nil {
		return l, err
	}
	if l.Href, err = o.str("href", true); err != nil {
		return l, err
	}
	if l.Rel, err = o.token("rel", false); err != nil {
		return l, err
	}
	if l.MediaType, err = o.str("media-type", false); err != nil {
		return l, err
	}
	if l.ResourceFragment, err = o.str("resource-fragment", false); err != nil {
		return l, err
	}
	l.Text, err = o.str("text", false)
	return l, err
}

func parsePart(path string, v any) (Part, error) {
	var p Part
	o, err := asObject(path, v, "id", "name", "ns", "class", "title", "props", "prose", "parts", "links")
	if err != nil {
		return p, err
	}
	if p.ID, err = o.token("id", false); err != nil {
		return p, err
	}
	if p.Name, err = o.token("name", true); err != nil {
		return p, err
	}
	if p.NS, err = o.str("ns", false); err != nil {
		return p, err
	}
	if p.Class, err = o.token("class", false); err != nil {
		return p, err
	}
	if p.Title, err = o.str("title", false); err != nil {
		return p, err
	}
	if p.Props, err = parseList(o, "props", false, parseProp); err != nil {
		return p, err
	}
	if p.Prose, err = o.str("prose", false); err != nil {
		return p, err
	}
	if p.Parts, err = parseList(o, "parts", false, parsePart); err != nil {
		return p, err
	}
	p.Links, err = parseList(o, "links", false, parseLink)
	return p, err
}

var paramKeys = []string{"id", "class", "depends-on", "props", "links", "label", "usage", "constraints", "guidelines", "values", "select", "remarks"}

func parseParam(path string, v any) (Param, error) {
	var p Param
	o, err := asObject(path, v, paramKeys...)
	if err != nil {
		return p, err
	}
	if p.ID, err = o.token("id", true); err != nil {
		return p, err
	}
	s := SetParameter{}
	if err := parseParamBody(o, &s); err != nil {
		return p, err
	}
	p.Class, p.DependsOn, p.Props, p.Links, p.Label, p.Usage = s.Class, s.DependsOn, s.Props, s.Links, s.Label, s.Usage
	p.Constraints, p.Guidelines, p.Values, p.Select = s.Constraints, s.Guidelines, s.Values, s.Select
	p.Remarks, err = o.str("remarks", false)
	return p, err
}

// parseParamBody reads what a param and a set-parameter share.
func parseParamBody(o *object, s *SetParameter) error {
	var err error
	if s.Class, err = o.token("class", false); err != nil {
		return err
	}
	if s.DependsOn, err = o.token("depends-on", false); err != nil {
		return err
	}
	if s.Props, err = parseList(o, "props", false, parseProp); err != nil {
		return err
	}
	if s.Links, err = parseList(o, "links", false, parseLink); err != nil {
		return err
	}
	if s.Label, err = o.str("label", false); err != nil {
		return err
	}
	if s.Usage, err = o.str("usage", false); err != nil {
		return err
	}
	if s.Constraints, err = parseList(o, "constraints", false, parseConstraint); err != nil {
		return err
	}
	if s.Guidelines, err = parseList(o, "guidelines", false, parseGuideline); err != nil {
		return err
	}
	if s.Values, err = o.strings("values", false); err != nil {
		return err
	}
	sel, err := o.obj("select", false, "how-many", "choice")
	if err != nil || sel == nil {
		return err
	}
	if o.has("values") {
		return errf(childPath(o.path, "select"), "a parameter has values or a select, not both")
	}
	s.Select = &Selection{}
	if s.Select.HowMany, err = sel.str("how-many", false); err != nil {
		return err
	}
	if h := s.Select.HowMany; h != "" && h != "one" && h != "one-or-more" {
		return errf(childPath(sel.path, "how-many"), "%q: must be one or one-or-more", h)
	}
	s.Select.Choice, err = sel.strings("choice", false)
	return err
}

func parseConstraint(path string, v any) (Constraint, error) {
	var c Constraint
	o, err := asObject(path, v, "description", "tests")
	if err != nil {
		return c, err
	}
	if c.Description, err = o.str("description", false); err != nil {
		return c, err
	}
	c.Tests, err = parseList(o, "tests", false, func(p string, v any) (ConstraintTest, error) {
		var t ConstraintTest
		o, err := asObject(p, v, "expression", "remarks")
		if err != nil {
			return t, err
		}
		if t.Expression, err = o.str("expression", true); err != nil {
			return t, err
		}
		t.Remarks, err = o.str("remarks", false)
		return t, err
	})
	return c, err
}

func parseGuideline(path string, v any) (Guideline, error) {
	var g Guideline
	o, err := asObject(path, v, "prose")
	if err != nil {
		return g, err
	}
	g.Prose, err = o.str("prose", true)
	return g, err
}

func parseControl(path string, v any) (Control, error) {
	var c Control
	o, err := asObject(path, v, "id", "class", "title", "params", "props", "links", "parts", "controls")
	if err != nil {
		return c, err
	}
	if c.ID, err = o.token("id", true); err != nil {
		return c, err
	}
	if c.Class, err = o.token("class", false); err != nil {
		return c, err
	}
	if c.Title, err = o.str("title", true); err != nil {
		return c, err
	}
	if c.Params, err = parseList(o, "params", false, parseParam); err != nil {
		return c, err
	}
	if c.Props, err = parseList(o, "props", false, parseProp); err != nil {
		return c, err
	}
	if c.Links, err = parseList(o, "links", false, parseLink); err != nil {
		return c, err
	}
	if c.Parts, err = parseList(o, "parts", false, parsePart); err != nil {
		return c, err
	}
	c.Controls, err = parseList(o, "controls", false, parseControl)
	return c, err
}

func parseGroup(path string, v any) (Group, error) {
	var g Group
	o, err := asObject(path, v, "id", "class", "title", "params", "props", "links", "parts", "groups", "controls")
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
	if g.Groups, err = parseList(o, "groups", false, parseGroup); err != nil {
		return g, err
	}
	g.Controls, err = parseList(o, "controls", false, parseControl)
	return g, err
}

func parseBackMatter(o *object) (*BackMatter, error) {
	bm, err := o.obj("back-matter", false, "resources")
	if err != nil || bm == nil {
		return nil, err
	}
	res, err := parseListLoose(bm, "resources", parseResource)
	return &BackMatter{Resources: res}, err
}

func parseResource(path string, v any) (Resource, error) {
	var r Resource
	o, err := asObject(path, v, "uuid", "title", "description", "props", "document-ids", "citation", "rlinks", "base64", "remarks")
	if err != nil {
		return r, err
	}
	if r.UUID, err = o.uuid("uuid", true); err != nil {
		return r, err
	}
	if r.Title, err = o.str("title", false); err != nil {
		return r, err
	}
	if r.Description, err = o.str("description", false); err != nil {
		return r, err
	}
	if r.Props, err = parseList(o, "props", false, parseProp); err != nil {
		return r, err
	}
	if r.RLinks, err = parseList(o, "rlinks", false, func(p string, v any) (RLink, error) {
		var l RLink
		o, err := asObject(p, v, "href", "media-type", "hashes")
		if err != nil {
			return l, err
		}
		if l.Href, err = o.str("href", true); err != nil {
			return l, err
		}
		l.MediaType, err = o.str("media-type", false)
		return l, err
	}); err != nil {
		return r, err
	}
	r.Remarks, err = o.str("remarks", false)
	return r, err
}
