package policy

import (
	"context"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/oscal"
)

// Control is one control of a catalogue or resolved profile, as people
// read it: its family, statement and guidance with the parameters filled
// in (or named, when the profile leaves them open).
type Control struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Family      string  `json:"family"`
	FamilyTitle string  `json:"family_title"`
	Parent      string  `json:"parent,omitempty"` // an enhancement's base control
	Statement   string  `json:"statement"`
	Guidance    string  `json:"guidance"`
	Params      []Param `json:"params"`
	Automatic   bool    `json:"automatic"` // kubu evidences it from its own data
}

// Param is a control parameter and the value it reads as.
type Param struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// Family is a group of controls.
type Family struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Controls []Control `json:"controls"`
}

// Controls lists the controls of a catalogue or profile (kind) in
// document order.
func (s *Service) Controls(ctx context.Context, a authz.Actor, kind, docID string) ([]Control, error) {
	if _, err := s.Document(ctx, a, kind, docID); err != nil {
		return nil, err
	}
	c, err := s.controlsOf(ctx, docID)
	if err != nil {
		return nil, err
	}
	return controlList(c), nil
}

// Families groups Controls by family, for the catalogue browser.
func Families(cs []Control) []Family {
	var out []Family
	at := map[string]int{}
	for _, c := range cs {
		i, ok := at[c.Family]
		if !ok {
			i = len(out)
			at[c.Family] = i
			out = append(out, Family{ID: c.Family, Title: c.FamilyTitle})
		}
		out[i].Controls = append(out[i].Controls, c)
	}
	return out
}

func controlList(c *oscal.Catalog) []Control {
	out := []Control{}
	c.Walk(func(groups []*oscal.Group, parent, ctl *oscal.Control) {
		v := Control{ID: ctl.ID, Title: ctl.Title, Params: []Param{}}
		if _, ok := evaluators[ctl.ID]; ok {
			v.Automatic = true
		}
		if n := len(groups); n > 0 {
			v.Family, v.FamilyTitle = groups[0].ID, groups[0].Title
		}
		if parent != nil {
			v.Parent = parent.ID
		}
		if p, ok := ctl.Part("statement"); ok {
			v.Statement = c.Text(p)
		}
		if p, ok := ctl.Part("guidance"); ok {
			v.Guidance = c.Text(p)
		}
		for i := range ctl.Params {
			p := &ctl.Params[i]
			v.Params = append(v.Params, Param{ID: p.ID, Label: p.Label, Value: p.Display()})
		}
		out = append(out, v)
	})
	return out
}
