package oscal

import (
	"errors"
	"strings"
	"testing"
)

const okMeta = `"metadata":{"title":"T","last-modified":"2024-05-29T10:17:03+08:00","version":"1","oscal-version":"1.1.2"}`

func catalogDoc(body string) string {
	return `{"catalog":{"uuid":"dfad1a6f-1aae-43e6-8fc6-10f1771d6dbc",` + okMeta + body + `}}`
}

// TestValidationNamesFirstProblem checks that each kind of bad document is
// refused with the JSON path of the problem and what is wrong.
func TestValidationNamesFirstProblem(t *testing.T) {
	group := func(controls string) string {
		return `,"groups":[{"id":"as","title":"Application Security","controls":[` + controls + `]}]`
	}
	for _, tc := range []struct {
		name, doc, path, msg string
	}{
		{"not json", `{"catalog":`, "$", "unexpected end of input"},
		{"trailing data", catalogDoc("") + `{}`, "$", "data after the end"},
		{"wrong root", `{"catalogue":{}}`, "$.catalogue", "unknown root"},
		{"two roots", `{"catalog":{},"profile":{}}`, "$.profile", "unknown root"},
		{"missing uuid", `{"catalog":{` + okMeta + `}}`, "$.catalog.uuid", "required"},
		{"bad uuid", `{"catalog":{"uuid":"not-a-uuid",` + okMeta + `}}`, "$.catalog.uuid", "not a version 4 or 5 UUID"},
		{"missing metadata", `{"catalog":{"uuid":"dfad1a6f-1aae-43e6-8fc6-10f1771d6dbc"}}`, "$.catalog.metadata", "required"},
		{"missing title", `{"catalog":{"uuid":"dfad1a6f-1aae-43e6-8fc6-10f1771d6dbc","metadata":{"last-modified":"2024-05-29T10:17:03Z","version":"1","oscal-version":"1.1.2"}}}`, "$.catalog.metadata.title", "required"},
		{"date without zone", `{"catalog":{"uuid":"dfad1a6f-1aae-43e6-8fc6-10f1771d6dbc","metadata":{"title":"T","last-modified":"2024-05-29T10:17:03","version":"1","oscal-version":"1.1.2"}}}`, "$.catalog.metadata.last-modified", "time zone"},
		{"oscal 2", `{"catalog":{"uuid":"dfad1a6f-1aae-43e6-8fc6-10f1771d6dbc","metadata":{"title":"T","last-modified":"2024-05-29T10:17:03Z","version":"1","oscal-version":"2.0.0"}}}`, "$.catalog.metadata.oscal-version", "OSCAL 1.x"},
		{"unknown field", catalogDoc(`,"controlz":[]`), "$.catalog.controlz", "unknown field"},
		{"control without id", catalogDoc(group(`{"title":"Input Validation"}`)), "$.catalog.groups[0].controls[0].id", "required"},
		{"title not a string", catalogDoc(group(`{"id":"as-1","title":7}`)), "$.catalog.groups[0].controls[0].title", "must be a string, not a number"},
		{"bad token", catalogDoc(group(`{"id":"1 as","title":"x"}`)), "$.catalog.groups[0].controls[0].id", "not an OSCAL token"},
		{"duplicate id", catalogDoc(group(`{"id":"as-1","title":"a"},{"id":"as-1","title":"b"}`)), "$.catalog.groups[0].controls[1].id", `control id "as-1" is already used at $.catalog.groups[0].controls[0].id`},
		{"duplicate key", catalogDoc(group(`{"id":"as-1","id":"as-2","title":"a"}`)), "$.catalog.groups[0].controls[0]", `key "id" appears twice`},
		{"empty array", catalogDoc(group(`{"id":"as-1","title":"a","props":[]}`)), "$.catalog.groups[0].controls[0].props", "at least one item"},
		{"part without name", catalogDoc(group(`{"id":"as-1","title":"a","parts":[{"prose":"x"}]}`)), "$.catalog.groups[0].controls[0].parts[0].name", "required"},
		{"insert of unknown param", catalogDoc(group(`{"id":"as-1","title":"a","parts":[{"name":"statement","prose":"use {{ insert: param, as-1_prm_9 }}"}]}`)), "$.catalog.groups[0].controls[0].parts[0].prose", `parameter "as-1_prm_9"`},
		{"values and select", catalogDoc(group(`{"id":"as-1","title":"a","params":[{"id":"p","values":["x"],"select":{"choice":["y"]}}]}`)), "$.catalog.groups[0].controls[0].params[0].select", "not both"},
		{"bad how-many", catalogDoc(group(`{"id":"as-1","title":"a","params":[{"id":"p","select":{"how-many":"two"}}]}`)), "$.catalog.groups[0].controls[0].params[0].select.how-many", "one or one-or-more"},
		{"nested too deep", strings.Repeat("[", 300) + strings.Repeat("]", 300), "$" + strings.Repeat("[0]", 201), "nested more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCatalog(strings.NewReader(tc.doc))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *oscal.Error", err)
			}
			if e.Path != tc.path || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %s: %s\nwant %s: …%s…", e.Path, e.Msg, tc.path, tc.msg)
			}
		})
	}
}

func TestProfileValidationAndResolutionErrors(t *testing.T) {
	lib := loadTestdata(t)
	prof := func(body string) string {
		return `{"profile":{"uuid":"61b22495-b212-4ac7-b961-07cc508486a3",` + okMeta + `,` + body + `}}`
	}
	imp := `"imports":[{"href":"sp800-53-rev5-sample-catalog.json","include-controls":[{"with-ids":["ac-1"]}]}]`
	for _, tc := range []struct {
		name, doc, path, msg string
		resolve              bool
	}{
		{"no imports", prof(`"imports":[]`), "$.profile.imports", "at least one", false},
		{"import selects nothing", prof(`"imports":[{"href":"x"}]`), "$.profile.imports[0]", "include-all or include-controls", false},
		{"bad with-child-controls", prof(`"imports":[{"href":"x","include-controls":[{"with-child-controls":"maybe","with-ids":["a"]}]}]`), "$.profile.imports[0].include-controls[0].with-child-controls", "yes or no", false},
		{"bad pattern", prof(`"imports":[{"href":"x","include-controls":[{"matching":[{"pattern":"ac-["}]}]}]`), "$.profile.imports[0].include-controls[0].matching[0].pattern", "glob", false},
		{"two merge structures", prof(imp + `,"merge":{"as-is":true,"flat":{}}`), "$.profile.merge", "one of", false},
		{"bad combine", prof(imp + `,"merge":{"combine":{"method":"mix"}}`), "$.profile.merge.combine.method", "use-first", false},
		{"unknown control", prof(`"imports":[{"href":"sp800-53-rev5-sample-catalog.json","include-controls":[{"with-ids":["ac-1","zz-9"]}]}]`), "$.profile.imports[0].include-controls[0].with-ids[1]", `control "zz-9" is not in`, true},
		{"unknown href", prof(`"imports":[{"href":"nist.json","include-all":{}}]`), "$.profile.imports[0].href", "cannot load", true},
		{"missing back-matter", prof(`"imports":[{"href":"#84cbf061-eb87-4ec1-8112-1f529232e907","include-all":{}}]`), "$.profile.imports[0].href", "no back-matter resource", true},
		{"unknown param", prof(imp + `,"modify":{"set-parameters":[{"param-id":"au-02_odp.01","values":["x"]}]}`), "$.profile.modify.set-parameters[0].param-id", "not in the selected controls", true},
		{"alter unselected control", prof(imp + `,"modify":{"alters":[{"control-id":"ac-2","adds":[{"props":[{"name":"x","value":"y"}]}]}]}`), "$.profile.modify.alters[0].control-id", "not in the selected controls", true},
		{"alter unknown part", prof(imp + `,"modify":{"alters":[{"control-id":"ac-1","adds":[{"by-id":"ac-1_nope","parts":[{"name":"item"}]}]}]}`), "$.profile.modify.alters[0].adds[0].by-id", "no part or parameter", true},
		{"keep duplicates", prof(`"imports":[{"href":"sp800-53-rev5-sample-catalog.json","include-controls":[{"with-ids":["ac-1"]}]},{"href":"sp800-53-rev5-sample-catalog.json","include-controls":[{"with-ids":["ac-1"]}]}],"merge":{"combine":{"method":"keep"}}`), "$.profile.merge.combine.method", "selected twice", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadProfile(strings.NewReader(tc.doc))
			if tc.resolve {
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				_, err = p.Resolve(lib.Load)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *oscal.Error", err)
			}
			if e.Path != tc.path || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %s: %s\nwant %s: …%s…", e.Path, e.Msg, tc.path, tc.msg)
			}
		})
	}
}

func TestProfileImportingItselfIsRefused(t *testing.T) {
	p, err := ReadProfile(strings.NewReader(`{"profile":{"uuid":"61b22495-b212-4ac7-b961-07cc508486a3",` + okMeta + `,"imports":[{"href":"self.json","include-all":{}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	lib := Library{"self.json": {Profile: p}}
	_, err = p.Resolve(lib.Load)
	if err == nil || !strings.Contains(err.Error(), "imports itself") {
		t.Fatalf("got %v", err)
	}
}
