package oscal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// shape lists the members OSCAL requires: nil is a required scalar, a
// map a required object, a one-element slice a required non-empty array
// of objects of that shape.
type shape map[string]any

var sspShape = shape{
	"uuid":           nil,
	"metadata":       shape{"title": nil, "last-modified": nil, "version": nil, "oscal-version": nil},
	"import-profile": shape{"href": nil},
	"system-characteristics": shape{
		"system-ids": []shape{{"id": nil}}, "system-name": nil, "description": nil, "security-sensitivity-level": nil,
		"system-information": shape{"information-types": []shape{{"title": nil, "description": nil,
			"confidentiality-impact": shape{"base": nil}, "integrity-impact": shape{"base": nil}, "availability-impact": shape{"base": nil}}}},
		"security-impact-level":  shape{"security-objective-confidentiality": nil, "security-objective-integrity": nil, "security-objective-availability": nil},
		"status":                 shape{"state": nil},
		"authorization-boundary": shape{"description": nil},
	},
	"system-implementation": shape{
		"users":      []shape{{"uuid": nil}},
		"components": []shape{{"uuid": nil, "type": nil, "title": nil, "description": nil, "status": shape{"state": nil}}},
	},
	"control-implementation": shape{"description": nil, "implemented-requirements": []shape{{"uuid": nil, "control-id": nil}}},
}

var arShape = shape{
	"uuid":      nil,
	"metadata":  shape{"title": nil, "last-modified": nil, "version": nil, "oscal-version": nil},
	"import-ap": shape{"href": nil},
	"results": []shape{{"uuid": nil, "title": nil, "description": nil, "start": nil,
		"reviewed-controls": shape{"control-selections": []shape{{}}},
		"observations":      []shape{{"uuid": nil, "description": nil, "methods": nil, "collected": nil}},
		"findings":          []shape{{"uuid": nil, "title": nil, "description": nil, "target": shape{"type": nil, "target-id": nil, "status": shape{"state": nil}}}},
	}},
}

func checkShape(t *testing.T, path string, v any, s shape) {
	t.Helper()
	o, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object", path)
		return
	}
	for k, want := range s {
		got, ok := o[k]
		if !ok {
			t.Errorf("%s.%s: required member missing", path, k)
			continue
		}
		switch w := want.(type) {
		case nil:
			if s, isStr := got.(string); isStr && strings.TrimSpace(s) == "" {
				t.Errorf("%s.%s: empty", path, k)
			}
		case shape:
			checkShape(t, path+"."+k, got, w)
		case []shape:
			a, ok := got.([]any)
			if !ok || len(a) == 0 {
				t.Errorf("%s.%s: must be a non-empty array", path, k)
				continue
			}
			for i, it := range a {
				checkShape(t, fmt.Sprintf("%s.%s[%d]", path, k, i), it, w[0])
			}
		}
	}
	// Every uuid and *-uuid member holds an OSCAL uuid; dates carry a zone.
	for k, val := range o {
		if s, ok := val.(string); ok {
			if (k == "uuid" || strings.HasSuffix(k, "-uuid")) && !uuidRE.MatchString(s) {
				t.Errorf("%s.%s: %q is not a v4/v5 uuid", path, k, s)
			}
			if k == "last-modified" || k == "collected" || k == "start" || k == "end" {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					t.Errorf("%s.%s: %q is not a date-time with zone", path, k, s)
				}
			}
		}
		if a, ok := val.([]any); ok && len(a) == 0 {
			t.Errorf("%s.%s: OSCAL arrays are never empty", path, k)
		}
		if sub, ok := val.(map[string]any); ok {
			checkShape(t, path+"."+k, sub, shape{})
		}
		if a, ok := val.([]any); ok {
			for i, it := range a {
				if sub, ok := it.(map[string]any); ok {
					checkShape(t, fmt.Sprintf("%s.%s[%d]", path, k, i), sub, shape{})
				}
			}
		}
	}
}

func decodeWritten(t *testing.T, root string, doc any) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, root, doc); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[root] == nil {
		t.Fatalf("root is not %s: %s", root, buf.String()[:100])
	}
	return m[root].(map[string]any)
}

func TestSSPShape(t *testing.T) {
	exp := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	plan := Plan{
		SystemID: "01JABCDEF", SystemName: "Payments portal", Agency: "MOH", Sensitivity: "moderate",
		ProfileHref: "https://kubu.example/api/v1/profiles/p1", LastModified: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Controls: []PlanControl{
			{ControlID: "st-1", Status: "implemented", Source: "automatic", Evidence: []string{"external scan 2026-11-30 grade A"}, StatementID: "st-1_smt"},
			{ControlID: "pm-4", Status: "deviation", Source: "manual", Deviation: &PlanDeviation{Reason: "legacy mainframe", ApprovedBy: "ciso@moh", ExpiresAt: exp}},
			{ControlID: "lm-12", Status: "not-assessed", Source: "automatic"},
		},
	}
	ssp, err := SSP(plan)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeWritten(t, "system-security-plan", ssp)
	checkShape(t, "$.system-security-plan", m, sspShape)

	reqs := ssp.ControlImplementation.ImplementedRequirements
	if len(reqs) != 3 || reqs[0].ControlID != "st-1" || reqs[0].Statements[0].StatementID != "st-1_smt" {
		t.Fatalf("requirements = %+v", reqs)
	}
	if reqs[0].Statements[0].ByComponents[0].ImplementationStatus.State != "implemented" {
		t.Error("st-1 not implemented")
	}
	dev := reqs[1].ByComponents[0]
	if dev.ImplementationStatus.State != "alternative" || dev.ImplementationStatus.Remarks != "legacy mainframe" ||
		!slices.ContainsFunc(dev.Props, func(p Prop) bool { return p.Name == "deviation-expires" && p.Value == "2027-03-01T00:00:00Z" }) {
		t.Errorf("deviation = %+v", dev)
	}
	if reqs[2].ByComponents[0].ImplementationStatus != nil {
		t.Error("not-assessed must carry no OSCAL implementation state")
	}
	if reqs[0].Statements[0].ByComponents[0].ComponentUUID != ssp.SystemImplementation.Components[0].UUID {
		t.Error("by-component does not point at this-system")
	}
	// The same plan uuid gives the same requirement uuids (stable exports).
	plan.PlanUUID, plan.ThisSystemUUID = ssp.UUID, ssp.SystemImplementation.Components[0].UUID
	if again, _ := SSP(plan); again.ControlImplementation.ImplementedRequirements[1].UUID != reqs[1].UUID {
		t.Error("requirement uuids change between exports")
	}
	// OSCAL needs at least one implemented requirement.
	if _, err := SSP(Plan{SystemID: "x", SystemName: "x", ProfileHref: "p.json"}); err == nil {
		t.Error("a plan without controls was written")
	}
}

func TestAssessmentResultsShape(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	ar := Results(Assessment{SystemName: "Payments portal", PlanHref: "ssp.json", Start: now.Add(-time.Hour), End: now,
		Controls: []AssessedControl{
			{ControlID: "st-1", Met: true, Reason: "external scan ran 2 days ago (cadence 7 days)", Evidence: []string{"scan 01J…"}, Collected: now},
			{ControlID: "st-5", Met: false, Reason: "2 high findings past their deadline", Collected: now},
		}})
	m := decodeWritten(t, "assessment-results", ar)
	checkShape(t, "$.assessment-results", m, arShape)
	f := ar.Results[0].Findings
	if f[0].Target.Status.State != "satisfied" || f[1].Target.Status.State != "not-satisfied" || f[1].Target.TargetID != "st-5_smt" {
		t.Errorf("findings = %+v", f)
	}
	if f[1].RelatedObservations[0].ObservationUUID != ar.Results[0].Observations[1].UUID {
		t.Error("finding not linked to its observation")
	}
}
