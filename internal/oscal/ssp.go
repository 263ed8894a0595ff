package oscal

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The documents kubu writes: a system-security-plan for a system's plan
// and assessment-results for what kubu observed. The shapes are the
// OSCAL 1.1 ones with every member the schema requires (including those
// OSCAL 1.0 required, so older tools read them too).

// KubuNS is the namespace of kubu's own props.
const KubuNS = "https://github.com/kubu-gov/kubu/ns/oscal"

// SystemSecurityPlan is an OSCAL system-security-plan.
type SystemSecurityPlan struct {
	UUID                  string                `json:"uuid"`
	Metadata              Metadata              `json:"metadata"`
	ImportProfile         ImportProfile         `json:"import-profile"`
	SystemCharacteristics SystemCharacteristics `json:"system-characteristics"`
	SystemImplementation  SystemImplementation  `json:"system-implementation"`
	ControlImplementation ControlImplementation `json:"control-implementation"`
	BackMatter            *BackMatter           `json:"back-matter,omitempty"`
}

// ImportProfile names the profile the plan implements.
type ImportProfile struct {
	Href string `json:"href"`
}

// SystemCharacteristics describes the system.
type SystemCharacteristics struct {
	SystemIDs                []SystemID            `json:"system-ids"`
	SystemName               string                `json:"system-name"`
	SystemNameShort          string                `json:"system-name-short,omitempty"`
	Description              string                `json:"description"`
	Props                    []Prop                `json:"props,omitempty"`
	SecuritySensitivityLevel string                `json:"security-sensitivity-level"`
	SystemInformation        SystemInformation     `json:"system-information"`
	SecurityImpactLevel      SecurityImpactLevel   `json:"security-impact-level"`
	Status                   Status                `json:"status"`
	AuthorizationBoundary    AuthorizationBoundary `json:"authorization-boundary"`
}

// SystemID identifies the system.
type SystemID struct {
	IdentifierType string `json:"identifier-type,omitempty"`
	ID             string `json:"id"`
}

// SystemInformation lists the information types the system handles.
type SystemInformation struct {
	InformationTypes []InformationType `json:"information-types"`
}

// InformationType is one kind of information the system handles.
type InformationType struct {
	UUID                  string `json:"uuid"`
	Title                 string `json:"title"`
	Description           string `json:"description"`
	ConfidentialityImpact Impact `json:"confidentiality-impact"`
	IntegrityImpact       Impact `json:"integrity-impact"`
	AvailabilityImpact    Impact `json:"availability-impact"`
}

// Impact is an impact level.
type Impact struct {
	Base string `json:"base"`
}

// SecurityImpactLevel is the system's overall impact level.
type SecurityImpactLevel struct {
	Confidentiality string `json:"security-objective-confidentiality"`
	Integrity       string `json:"security-objective-integrity"`
	Availability    string `json:"security-objective-availability"`
}

// Status is an operational state.
type Status struct {
	State   string `json:"state"`
	Remarks string `json:"remarks,omitempty"`
}

// AuthorizationBoundary describes the system's boundary.
type AuthorizationBoundary struct {
	Description string `json:"description"`
}

// SystemImplementation lists users and components.
type SystemImplementation struct {
	Users      []SystemUser      `json:"users"`
	Components []SystemComponent `json:"components"`
}

// SystemUser is a kind of user of the system.
type SystemUser struct {
	UUID    string   `json:"uuid"`
	Title   string   `json:"title,omitempty"`
	RoleIDs []string `json:"role-ids,omitempty"`
}

// SystemComponent is a part of the system.
type SystemComponent struct {
	UUID        string `json:"uuid"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Props       []Prop `json:"props,omitempty"`
	Status      Status `json:"status"`
}

// ControlImplementation says how each control is met.
type ControlImplementation struct {
	Description             string                   `json:"description"`
	ImplementedRequirements []ImplementedRequirement `json:"implemented-requirements"`
}

// ImplementedRequirement is one control's implementation.
type ImplementedRequirement struct {
	UUID         string        `json:"uuid"`
	ControlID    string        `json:"control-id"`
	Props        []Prop        `json:"props,omitempty"`
	Links        []Link        `json:"links,omitempty"`
	Statements   []Statement   `json:"statements,omitempty"`
	ByComponents []ByComponent `json:"by-components,omitempty"`
	Remarks      string        `json:"remarks,omitempty"`
}

// Statement is the implementation of one statement of a control.
type Statement struct {
	StatementID  string        `json:"statement-id"`
	UUID         string        `json:"uuid"`
	ByComponents []ByComponent `json:"by-components,omitempty"`
}

// ByComponent says how a component implements a control or statement.
type ByComponent struct {
	ComponentUUID        string                `json:"component-uuid"`
	UUID                 string                `json:"uuid"`
	Description          string                `json:"description"`
	Props                []Prop                `json:"props,omitempty"`
	Links                []Link                `json:"links,omitempty"`
	ImplementationStatus *ImplementationStatus `json:"implementation-status,omitempty"`
	Remarks              string                `json:"remarks,omitempty"`
}

// ImplementationStatus is OSCAL's implementation state: implemented,
// partial, planned, alternative or not-applicable.
type ImplementationStatus struct {
	State   string `json:"state"`
	Remarks string `json:"remarks,omitempty"`
}

// NewUUID returns a random version 4 UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Timestamp formats a time as OSCAL wants it (RFC 3339 with a zone).
func Timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Write writes an OSCAL document under its root key ("catalog",
// "profile", "system-security-plan", "assessment-results"), indented.
func Write(w io.Writer, root string, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(map[string]any{root: doc})
}
