package oscal

import (
	"errors"
	"strings"
	"time"
)

// Plan is kubu's view of a system's security plan, as the policy package
// keeps it; SSP turns it into an OSCAL system-security-plan.
type Plan struct {
	SystemID         string
	SystemName       string
	Description      string
	Agency           string
	Sensitivity      string // e.g. "low", "moderate", "high": the data classification
	State            string // operational, under-development, …; default operational
	ProfileHref      string // where the profile is served
	Version          string
	LastModified     time.Time
	Controls         []PlanControl
	PlanUUID         string // stable across exports; generated when empty
	ThisSystemUUID   string // the "this-system" component; generated when empty
	InformationTitle string // the information type; default "Agency information"
}

// PlanControl is one control's status in a plan.
type PlanControl struct {
	ControlID string
	// Status is kubu's: implemented, partial, planned, not-applicable,
	// deviation, not-assessed.
	Status      string
	Source      string // manual, automatic
	Description string // how it is met, or why not
	Evidence    []string
	Deviation   *PlanDeviation
	// StatementID, when set, is the control statement part the
	// implementation answers (e.g. "st-1_smt").
	StatementID string
}

// PlanDeviation is an approved departure from a control.
type PlanDeviation struct {
	Reason     string
	ApprovedBy string
	ExpiresAt  time.Time
}

// oscalState maps kubu's plan statuses to OSCAL implementation states.
// A deviation is an alternative arrangement; not-assessed has no OSCAL
// state and is carried as a kubu prop only.
func oscalState(status string) string {
	switch status {
	case "implemented", "partial", "planned", "not-applicable":
		return status
	case "deviation":
		return "alternative"
	}
	return ""
}

// SSP builds the OSCAL system-security-plan for a plan. OSCAL needs at
// least one implemented requirement, so a plan without controls is refused.
func SSP(p Plan) (SystemSecurityPlan, error) {
	if len(p.Controls) == 0 {
		return SystemSecurityPlan{}, errors.New("oscal: a system-security-plan needs at least one control")
	}
	if p.SystemID == "" || p.SystemName == "" || p.ProfileHref == "" {
		return SystemSecurityPlan{}, errors.New("oscal: a system-security-plan needs the system id, its name and the profile href")
	}
	if p.PlanUUID == "" {
		p.PlanUUID = NewUUID()
	}
	if p.ThisSystemUUID == "" {
		p.ThisSystemUUID = NewUUID()
	}
	if p.State == "" {
		p.State = "operational"
	}
	if p.Version == "" {
		p.Version = "1"
	}
	if p.LastModified.IsZero() {
		p.LastModified = time.Now()
	}
	if p.InformationTitle == "" {
		p.InformationTitle = "Agency information"
	}
	level := p.Sensitivity
	if level == "" {
		level = "not-classified"
	}
	desc := p.Description
	if strings.TrimSpace(desc) == "" {
		desc = p.SystemName
	}
	ssp := SystemSecurityPlan{
		UUID: p.PlanUUID,
		Metadata: Metadata{
			Title:        "System Security Plan: " + p.SystemName,
			LastModified: Timestamp(p.LastModified),
			Version:      p.Version,
			OSCALVersion: Version,
			Props:        []Prop{{Name: "agency", NS: KubuNS, Value: nonEmpty(p.Agency)}},
		},
		ImportProfile: ImportProfile{Href: p.ProfileHref},
		SystemCharacteristics: SystemCharacteristics{
			SystemIDs:                []SystemID{{IdentifierType: "https://github.com/kubu-gov/kubu", ID: p.SystemID}},
			SystemName:               p.SystemName,
			Description:              desc,
			SecuritySensitivityLevel: level,
			SystemInformation: SystemInformation{InformationTypes: []InformationType{{
				UUID: uuidV5(p.PlanUUID, "information-type"), Title: p.InformationTitle,
				Description:           "Information the system stores, processes or transmits, classified " + level + ".",
				ConfidentialityImpact: Impact{Base: level}, IntegrityImpact: Impact{Base: level}, AvailabilityImpact: Impact{Base: level},
			}}},
			SecurityImpactLevel:   SecurityImpactLevel{Confidentiality: level, Integrity: level, Availability: level},
			Status:                Status{State: p.State},
			AuthorizationBoundary: AuthorizationBoundary{Description: "The system " + p.SystemName + " as registered in kubu."},
		},
		SystemImplementation: SystemImplementation{
			Users: []SystemUser{{UUID: uuidV5(p.PlanUUID, "users"), Title: "Agency users"}},
			Components: []SystemComponent{{
				UUID: p.ThisSystemUUID, Type: "this-system", Title: p.SystemName, Description: desc,
				Status: Status{State: componentState(p.State)},
			}},
		},
		ControlImplementation: ControlImplementation{
			Description: "Control statuses recorded in kubu; source automatic means kubu's own data is the evidence.",
		},
	}
	for _, c := range p.Controls {
		ssp.ControlImplementation.ImplementedRequirements = append(ssp.ControlImplementation.ImplementedRequirements, requirement(p, c))
	}
	return ssp, nil
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

// componentState maps a system state to the narrower component states.
func componentState(s string) string {
	switch s {
	case "operational", "under-development", "disposition":
		return s
	case "under-major-modification":
		return "operational"
	}
	return "other"
}

func requirement(p Plan, c PlanControl) ImplementedRequirement {
	ir := ImplementedRequirement{
		UUID:      uuidV5(p.PlanUUID, "req/"+c.ControlID),
		ControlID: c.ControlID,
		Props: []Prop{
			{Name: "status", NS: KubuNS, Value: nonEmpty(c.Status)},
			{Name: "source", NS: KubuNS, Value: nonEmpty(c.Source)},
		},
	}
	desc := c.Description
	if desc == "" {
		desc = "Status " + c.Status + " (" + c.Source + ")."
	}
	bc := ByComponent{ComponentUUID: p.ThisSystemUUID, UUID: uuidV5(p.PlanUUID, "by/"+c.ControlID), Description: desc}
	if st := oscalState(c.Status); st != "" {
		bc.ImplementationStatus = &ImplementationStatus{State: st}
	}
	for _, e := range c.Evidence {
		bc.Props = append(bc.Props, Prop{Name: "evidence", NS: KubuNS, Value: e})
	}
	if d := c.Deviation; d != nil {
		bc.Props = append(bc.Props,
			Prop{Name: "deviation-approved-by", NS: KubuNS, Value: nonEmpty(d.ApprovedBy)},
			Prop{Name: "deviation-expires", NS: KubuNS, Value: Timestamp(d.ExpiresAt)})
		if bc.ImplementationStatus != nil {
			bc.ImplementationStatus.Remarks = d.Reason
		}
	}
	if c.StatementID != "" {
		ir.Statements = []Statement{{StatementID: c.StatementID, UUID: uuidV5(p.PlanUUID, "stmt/"+c.StatementID), ByComponents: []ByComponent{bc}}}
	} else {
		ir.ByComponents = []ByComponent{bc}
	}
	return ir
}
