package ecs

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlatten(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		file string
		want string
	}{
		{name: "Winlogbeat 8 Sysmon (ECS)", file: "winlogbeat8_sysmon.json",
			want: `{"EventID":1,"Version":5,"Level":4,"Task":"Process Create (rule: ProcessCreate)","Opcode":"Info","TimeCreated":"2026-11-28T01:15:02.092Z","EventRecordID":83239,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS1.moh.example.sg","Provider_Name":"Microsoft-Windows-Sysmon","Provider_Guid":"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}","Execution_ProcessID":2956,"Execution_ThreadID":3628,"Security_UserID":"S-1-5-18","RuleName":"-","ProcessId":"4242","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","User":"MOH\\alice","ParentImage":"C:\\Windows\\explorer.exe"}`},
		{name: "Winlogbeat 6 Security (top-level layout)", file: "winlogbeat6_security.json",
			want: `{"EventID":4624,"Level":4,"Task":"Logon","Opcode":"Info","Keywords":["Audit Success"],"TimeCreated":"2026-11-28T01:20:00.000Z","EventRecordID":1234567,"Channel":"Security","Computer":"DC1.moh.example.sg","Provider_Name":"Microsoft-Windows-Security-Auditing","Provider_Guid":"{54849625-5478-4994-a5ba-3e3b0328c30d}","Execution_ProcessID":612,"Execution_ThreadID":1720,"SubjectUserSid":"S-1-5-18","TargetUserName":"alice","LogonType":"3","IpAddress":"10.1.2.3"}`},
		{name: "event.code when winlog.event_id is absent",
			doc:  `{"event":{"code":"4688"},"winlog":{"channel":"Security","event_data":{"NewProcessName":"C:\\x.exe"}}}`,
			want: `{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\x.exe"}`},
		{name: "UserData leaves by element name, xml_name dropped",
			doc:  `{"winlog":{"channel":"Security","event_id":1102,"user_data":{"xml_name":"LogFileCleared","SubjectUserName":"admin","SubjectDomainName":"MOH"}}}`,
			want: `{"EventID":1102,"Channel":"Security","SubjectUserName":"admin","SubjectDomainName":"MOH"}`},
		{name: "nested UserData",
			doc:  `{"winlog":{"channel":"Microsoft-Windows-PrintService/Operational","event_id":307,"user_data":{"DocumentPrinted":{"Param1":"12","Param2":"report.docx"}}}}`,
			want: `{"EventID":307,"Channel":"Microsoft-Windows-PrintService/Operational","Param1":"12","Param2":"report.docx"}`},
		{name: "EventData wins a name clash with System",
			doc:  `{"winlog":{"channel":"Application","event_id":1000,"event_data":{"Channel":"from-data","Level":"x"}},"log":{"level":"error"}}`,
			want: `{"EventID":1000,"Channel":"from-data","Level":"x"}`},
		{name: "non-numeric event id kept as sent, unknown level text kept",
			doc:  `{"winlog":{"channel":"Setup","event_id":"abc"},"log":{"level":"Audit"}}`,
			want: `{"EventID":"abc","Level":"Audit","Channel":"Setup"}`},
		{name: "keys and values needing escapes",
			doc:  `{"winlog":{"channel":"A\"B","event_data":{"we\"ird\u0001":"line1\nline2"}}}`,
			want: `{"Channel":"A\"B","we\"ird\u0001":"line1\nline2"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(tt.doc)
			if tt.file != "" {
				var err error
				if doc, err = os.ReadFile("testdata/" + tt.file); err != nil {
					t.Fatal(err)
				}
			}
			prefix := []byte("prefix:")
			got, ok := Flatten(doc, prefix)
			if !ok {
				t.Fatalf("Flatten did not recognise a Windows event")
			}
			if string(got[:len(prefix)]) != "prefix:" {
				t.Fatalf("dst prefix overwritten: %q", got)
			}
			got = got[len(prefix):]
			if !json.Valid(got) {
				t.Fatalf("output is not JSON: %s", got)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Flatten mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlattenNotWindows(t *testing.T) {
	for _, doc := range []string{
		`{"@timestamp":"2026-11-28T01:15:02Z","event":{"code":"200","dataset":"nginx.access"},"message":"GET /"}`,
		`{"winlog":"text"}`,
		`{"winlog":{"api":"wineventlog"}}`,
		`{"event_id":5}`,
		`[1,2]`,
		`not json`,
		``,
	} {
		dst := []byte("keep")
		got, ok := Flatten([]byte(doc), dst)
		if ok || string(got) != "keep" {
			t.Errorf("Flatten(%q) = %q, %v; want dst unchanged and false", doc, got, ok)
		}
	}
}

func TestFlattenerMatchesFlatten(t *testing.T) {
	doc, err := os.ReadFile("testdata/winlogbeat8_sysmon.json")
	if err != nil {
		t.Fatal(err)
	}
	var f Flattener
	a, _ := f.Flatten(doc, nil)
	b, _ := Flatten(doc, nil)
	if string(a) != string(b) {
		t.Errorf("Flattener and Flatten differ:\n%s\n%s", a, b)
	}
}

// TestFlattenConcurrent runs Flatten from several goroutines (it shares a
// parser pool); run with -race.
func TestFlattenConcurrent(t *testing.T) {
	doc, err := os.ReadFile("testdata/winlogbeat8_sysmon.json")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Flatten(doc, nil)
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for range 200 {
				if got, _ := Flatten(doc, nil); string(got) != string(want) {
					errs <- string(got)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if got := <-errs; got != "" {
			t.Errorf("concurrent Flatten = %s, want %s", got, want)
		}
	}
}
