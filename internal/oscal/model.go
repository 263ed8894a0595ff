package oscal

// The OSCAL 1.1 model, as far as kubu reads and writes it. Field names and
// JSON keys follow the OSCAL JSON format so values marshal back to valid
// OSCAL.

// Version is the OSCAL version kubu writes.
const Version = "1.1.2"

// Metadata is a document's metadata.
type Metadata struct {
	Title              string             `json:"title"`
	Published          string             `json:"published,omitempty"`
	LastModified       string             `json:"last-modified"`
	Version            string             `json:"version"`
	OSCALVersion       string             `json:"oscal-version"`
	Props              []Prop             `json:"props,omitempty"`
	Links              []Link             `json:"links,omitempty"`
	Roles              []Role             `json:"roles,omitempty"`
	Parties            []Party            `json:"parties,omitempty"`
	ResponsibleParties []ResponsibleParty `json:"responsible-parties,omitempty"`
	Remarks            string             `json:"remarks,omitempty"`
}

// Role is a metadata role.
type Role struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Party is a person or organisation.
type Party struct {
	UUID           string   `json:"uuid"`
	Type           string   `json:"type"`
	Name           string   `json:"name,omitempty"`
	EmailAddresses []string `json:"email-addresses,omitempty"`
}

// ResponsibleParty links a role to parties.
type ResponsibleParty struct {
	RoleID     string   `json:"role-id"`
	PartyUUIDs []string `json:"party-uuids"`
}

// Prop is a name/value property.
type Prop struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid,omitempty"`
	NS      string `json:"ns,omitempty"`
	Value   string `json:"value"`
	Class   string `json:"class,omitempty"`
	Group   string `json:"group,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// Link is a reference.
type Link struct {
	Href             string `json:"href"`
	Rel              string `json:"rel,omitempty"`
	MediaType        string `json:"media-type,omitempty"`
	ResourceFragment string `json:"resource-fragment,omitempty"`
	Text             string `json:"text,omitempty"`
}

// Part is a piece of a control's text: its statement, guidance, objectives.
type Part struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Class string `json:"class,omitempty"`
	Title string `json:"title,omitempty"`
	Props []Prop `json:"props,omitempty"`
	Prose string `json:"prose,omitempty"`
	Parts []Part `json:"parts,omitempty"`
	Links []Link `json:"links,omitempty"`
}

// Param is a control parameter.
type Param struct {
	ID          string       `json:"id"`
	Class       string       `json:"class,omitempty"`
	DependsOn   string       `json:"depends-on,omitempty"`
	Props       []Prop       `json:"props,omitempty"`
	Links       []Link       `json:"links,omitempty"`
	Label       string       `json:"label,omitempty"`
	Usage       string       `json:"usage,omitempty"`
	Constraints []Constraint `json:"constraints,omitempty"`
	Guidelines  []Guideline  `json:"guidelines,omitempty"`
	Values      []string     `json:"values,omitempty"`
	Select      *Selection   `json:"select,omitempty"`
	Remarks     string       `json:"remarks,omitempty"`
}

// Constraint restricts a parameter's value.
type Constraint struct {
	Description string           `json:"description,omitempty"`
	Tests       []ConstraintTest `json:"tests,omitempty"`
}

// ConstraintTest is a constraint's test expression.
type ConstraintTest struct {
	Expression string `json:"expression"`
	Remarks    string `json:"remarks,omitempty"`
}

// Guideline is prose guidance on a parameter's value.
type Guideline struct {
	Prose string `json:"prose"`
}

// Selection offers a parameter's choices.
type Selection struct {
	HowMany string   `json:"how-many,omitempty"` // one, one-or-more
	Choice  []string `json:"choice,omitempty"`
}

// Control is one control, with its enhancements as child controls.
type Control struct {
	ID       string    `json:"id"`
	Class    string    `json:"class,omitempty"`
	Title    string    `json:"title"`
	Params   []Param   `json:"params,omitempty"`
	Props    []Prop    `json:"props,omitempty"`
	Links    []Link    `json:"links,omitempty"`
	Parts    []Part    `json:"parts,omitempty"`
	Controls []Control `json:"controls,omitempty"`
}

// Group is a family of controls.
type Group struct {
	ID       string    `json:"id,omitempty"`
	Class    string    `json:"class,omitempty"`
	Title    string    `json:"title"`
	Params   []Param   `json:"params,omitempty"`
	Props    []Prop    `json:"props,omitempty"`
	Links    []Link    `json:"links,omitempty"`
	Parts    []Part    `json:"parts,omitempty"`
	Groups   []Group   `json:"groups,omitempty"`
	Controls []Control `json:"controls,omitempty"`
}

// BackMatter holds resources referenced from the document.
type BackMatter struct {
	Resources []Resource `json:"resources,omitempty"`
}

// Resource is a back-matter resource.
type Resource struct {
	UUID        string  `json:"uuid"`
	Title       string  `json:"title,omitempty"`
	Description string  `json:"description,omitempty"`
	Props       []Prop  `json:"props,omitempty"`
	RLinks      []RLink `json:"rlinks,omitempty"`
	Remarks     string  `json:"remarks,omitempty"`
}

// RLink is a resource's link.
type RLink struct {
	Href      string `json:"href"`
	MediaType string `json:"media-type,omitempty"`
}

// Catalog is an OSCAL catalog.
type Catalog struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	Params     []Param     `json:"params,omitempty"`
	Controls   []Control   `json:"controls,omitempty"`
	Groups     []Group     `json:"groups,omitempty"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// Profile is an OSCAL profile: a selection of controls from catalogs (or
// other profiles), with parameter settings and alterations.
type Profile struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	Imports    []Import    `json:"imports"`
	Merge      *Merge      `json:"merge,omitempty"`
	Modify     *Modify     `json:"modify,omitempty"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// Import selects controls from one source.
type Import struct {
	Href            string          `json:"href"`
	IncludeAll      *struct{}       `json:"include-all,omitempty"`
	IncludeControls []SelectControl `json:"include-controls,omitempty"`
	ExcludeControls []SelectControl `json:"exclude-controls,omitempty"`
}

// SelectControl selects controls by id or by pattern.
type SelectControl struct {
	WithChildControls string     `json:"with-child-controls,omitempty"` // yes, no
	WithIDs           []string   `json:"with-ids,omitempty"`
	Matching          []Matching `json:"matching,omitempty"`
}

// Matching is a glob pattern over control ids.
type Matching struct {
	Pattern string `json:"pattern"`
}

// Merge says how the selected controls are combined and arranged.
type Merge struct {
	Combine *Combine     `json:"combine,omitempty"`
	Flat    *struct{}    `json:"flat,omitempty"`
	AsIs    bool         `json:"as-is,omitempty"`
	Custom  *CustomMerge `json:"custom,omitempty"`
}

// Combine says what happens to a control selected twice.
type Combine struct {
	Method string `json:"method,omitempty"` // use-first, merge, keep
}

// CustomMerge arranges the controls in groups the profile defines.
type CustomMerge struct {
	Groups         []CustomGroup    `json:"groups,omitempty"`
	InsertControls []InsertControls `json:"insert-controls,omitempty"`
}

// CustomGroup is a group of a custom merge.
type CustomGroup struct {
	ID             string           `json:"id,omitempty"`
	Class          string           `json:"class,omitempty"`
	Title          string           `json:"title"`
	Params         []Param          `json:"params,omitempty"`
	Props          []Prop           `json:"props,omitempty"`
	Links          []Link           `json:"links,omitempty"`
	Parts          []Part           `json:"parts,omitempty"`
	Groups         []CustomGroup    `json:"groups,omitempty"`
	InsertControls []InsertControls `json:"insert-controls,omitempty"`
}

// InsertControls places selected controls in a custom group.
type InsertControls struct {
	Order           string          `json:"order,omitempty"` // keep, ascending, descending
	IncludeAll      *struct{}       `json:"include-all,omitempty"`
	IncludeControls []SelectControl `json:"include-controls,omitempty"`
	ExcludeControls []SelectControl `json:"exclude-controls,omitempty"`
}

// Modify sets parameters and alters controls.
type Modify struct {
	SetParameters []SetParameter `json:"set-parameters,omitempty"`
	Alters        []Alter        `json:"alters,omitempty"`
}

// SetParameter changes a parameter of the resolved controls.
type SetParameter struct {
	ParamID     string       `json:"param-id"`
	Class       string       `json:"class,omitempty"`
	DependsOn   string       `json:"depends-on,omitempty"`
	Props       []Prop       `json:"props,omitempty"`
	Links       []Link       `json:"links,omitempty"`
	Label       string       `json:"label,omitempty"`
	Usage       string       `json:"usage,omitempty"`
	Constraints []Constraint `json:"constraints,omitempty"`
	Guidelines  []Guideline  `json:"guidelines,omitempty"`
	Values      []string     `json:"values,omitempty"`
	Select      *Selection   `json:"select,omitempty"`
}

// Alter adds to or removes from one control.
type Alter struct {
	ControlID string   `json:"control-id"`
	Removes   []Remove `json:"removes,omitempty"`
	Adds      []Add    `json:"adds,omitempty"`
}

// Remove names what to take out of a control.
type Remove struct {
	ByName     string `json:"by-name,omitempty"`
	ByClass    string `json:"by-class,omitempty"`
	ByID       string `json:"by-id,omitempty"`
	ByItemName string `json:"by-item-name,omitempty"` // param, prop, link, part, mapping, map
	ByNS       string `json:"by-ns,omitempty"`
}

// Add puts content into a control, or before/after/inside one of its parts.
type Add struct {
	Position string  `json:"position,omitempty"` // before, after, starting, ending
	ByID     string  `json:"by-id,omitempty"`
	Title    string  `json:"title,omitempty"`
	Params   []Param `json:"params,omitempty"`
	Props    []Prop  `json:"props,omitempty"`
	Links    []Link  `json:"links,omitempty"`
	Parts    []Part  `json:"parts,omitempty"`
}
