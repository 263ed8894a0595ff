package evtx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSystemSection checks the nested and flat forms of a Sysmon-like event
// built by the test writer, including the optional substitutions that are
// dropped (Correlation) and kept (Security).
func TestSystemSection(t *testing.T) {
	w := newChunk()
	w.event("e", 7, func() {
		w.eventData(func() {
			w.dataItem("RuleName", 16, typeString)
			w.dataItem("ProcessId", 17, typeUint32)
		})
	}, vStrZ("EXE"), vU32(4460))
	nested, flat, st := readAll(t, buildFile(w.bytes()))
	if len(nested) != 1 || st.RecordsRead != 1 || st.RecordsFailed != 0 || len(st.Warnings) != 0 {
		t.Fatalf("got %d records, stats %+v", len(nested), st)
	}
	wantNested := `{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},
	"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
	"EventID":11,"Version":2,"Level":4,"Task":11,"Opcode":0,"Keywords":"0x8000000000000000",
	"TimeCreated":{"#attributes":{"SystemTime":"2026-04-17T05:24:53.092051Z"}},"EventRecordID":7,
	"Correlation":null,"Execution":{"#attributes":{"ProcessID":3544,"ThreadID":4272}},
	"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"host1",
	"Security":{"#attributes":{"UserID":"S-1-5-18"}}},
	"EventData":{"RuleName":"EXE","ProcessId":4460}}}`
	if diff := cmp.Diff(decodeJSON(t, wantNested), decodeJSON(t, nested[0])); diff != "" {
		t.Errorf("nested form (-want +got):\n%s", diff)
	}
	wantFlat := `{"Provider_Name":"Microsoft-Windows-Sysmon","Provider_Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9",
	"EventID":11,"Version":2,"Level":4,"Task":11,"Opcode":0,"Keywords":"0x8000000000000000",
	"TimeCreated":"2026-04-17T05:24:53.092051Z","EventRecordID":7,"Execution_ProcessID":3544,
	"Execution_ThreadID":4272,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"host1",
	"Security_UserID":"S-1-5-18","RuleName":"EXE","ProcessId":4460}`
	if diff := cmp.Diff(decodeJSON(t, wantFlat), decodeJSON(t, flat[0])); diff != "" {
		t.Errorf("flat form (-want +got):\n%s", diff)
	}
}
