package oscal

import "time"

// AssessmentResults is an OSCAL assessment-results document.
type AssessmentResults struct {
	UUID       string      `json:"uuid"`
	Metadata   Metadata    `json:"metadata"`
	ImportAP   ImportAP    `json:"import-ap"`
	Results    []Result    `json:"results"`
	BackMatter *BackMatter `json:"back-matter,omitempty"`
}

// ImportAP names the assessment plan the results answer.
type ImportAP struct {
	Href string `json:"href"`
}

// Result is one assessment's result.
type Result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	End              string           `json:"end,omitempty"`
	Props            []Prop           `json:"props,omitempty"`
	ReviewedControls ReviewedControls `json:"reviewed-controls"`
	Observations     []Observation    `json:"observations,omitempty"`
	Findings         []ARFinding      `json:"findings,omitempty"`
}

// ReviewedControls says which controls were assessed.
type ReviewedControls struct {
	ControlSelections []ControlSelection `json:"control-selections"`
}

// ControlSelection selects controls.
type ControlSelection struct {
	IncludeAll      *struct{}          `json:"include-all,omitempty"`
	IncludeControls []SelectControlRef `json:"include-controls,omitempty"`
}

// SelectControlRef names one control.
type SelectControlRef struct {
	ControlID string `json:"control-id"`
}

// Observation is something kubu saw.
type Observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description"`
	Props            []Prop             `json:"props,omitempty"`
	Methods          []string           `json:"methods"` // EXAMINE, INTERVIEW, TEST, UNKNOWN
	Types            []string           `json:"types,omitempty"`
	RelevantEvidence []RelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string             `json:"collected"`
}

// RelevantEvidence points at evidence.
type RelevantEvidence struct {
	Href        string `json:"href,omitempty"`
	Description string `json:"description"`
}

// ARFinding is a control's assessed state.
type ARFinding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Prop               `json:"props,omitempty"`
	Target              FindingTarget        `json:"target"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
}

// FindingTarget is what a finding is about.
type FindingTarget struct {
	Type     string                `json:"type"` // statement-id, objective-id
	TargetID string                `json:"target-id"`
	Status   ObjectiveStatus       `json:"status"`
	Props    []Prop                `json:"props,omitempty"`
	Remarks  string                `json:"remarks,omitempty"`
	Impl     *ImplementationStatus `json:"implementation-status,omitempty"`
}

// ObjectiveStatus is satisfied or not-satisfied.
type ObjectiveStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"` // pass, fail, other
}

// RelatedObservation links a finding to an observation.
type RelatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// Assessment is kubu's assessment of a system's controls at one time.
type Assessment struct {
	SystemName string
	PlanHref   string // the assessment plan (or the SSP) the results answer
	Start, End time.Time
	Controls   []AssessedControl
}

// AssessedControl is one control's evidence and verdict.
type AssessedControl struct {
	ControlID string
	// Met is true (satisfied), false (not satisfied); not-assessed
	// controls are left out of the results: no evidence is never a pass.
	Met       bool
	Reason    string   // why, in words
	Evidence  []string // what kubu looked at
	Collected time.Time
}

// Results builds an OSCAL assessment-results document: one observation
// and one finding per assessed control.
func Results(a Assessment) AssessmentResults {
	doc := AssessmentResults{
		UUID: NewUUID(),
		Metadata: Metadata{
			Title:        "Assessment results: " + a.SystemName,
			LastModified: Timestamp(a.End),
			Version:      "1",
			OSCALVersion: Version,
		},
		ImportAP: ImportAP{Href: a.PlanHref},
	}
	res := Result{
		UUID:        NewUUID(),
		Title:       "kubu automatic assessment of " + a.SystemName,
		Description: "Controls evidenced by kubu's own data (scans, deadlines, logs, certificates, disclosure programme).",
		Start:       Timestamp(a.Start),
		End:         Timestamp(a.End),
	}
	var sel []SelectControlRef
	for _, c := range a.Controls {
		sel = append(sel, SelectControlRef{ControlID: c.ControlID})
		obs := Observation{
			UUID: NewUUID(), Title: c.ControlID, Description: nonEmpty(c.Reason),
			Methods: []string{"TEST"}, Types: []string{"control-objective"}, Collected: Timestamp(c.Collected),
		}
		for _, e := range c.Evidence {
			obs.RelevantEvidence = append(obs.RelevantEvidence, RelevantEvidence{Description: e})
		}
		state, reason := "not-satisfied", "fail"
		if c.Met {
			state, reason = "satisfied", "pass"
		}
		res.Observations = append(res.Observations, obs)
		res.Findings = append(res.Findings, ARFinding{
			UUID: NewUUID(), Title: c.ControlID + " " + state, Description: nonEmpty(c.Reason),
			Target:              FindingTarget{Type: "statement-id", TargetID: c.ControlID + "_smt", Status: ObjectiveStatus{State: state, Reason: reason}},
			RelatedObservations: []RelatedObservation{{ObservationUUID: obs.UUID}},
		})
	}
	if len(sel) == 0 {
		res.ReviewedControls.ControlSelections = []ControlSelection{{IncludeAll: &struct{}{}}}
	} else {
		res.ReviewedControls.ControlSelections = []ControlSelection{{IncludeControls: sel}}
	}
	doc.Results = []Result{res}
	return doc
}
