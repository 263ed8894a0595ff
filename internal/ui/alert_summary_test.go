package ui

import "testing"

func TestSummarise(t *testing.T) {
	tests := []struct {
		name, raw string
		want      eventSummary
	}{
		{"evtx", `{"@kubu":{"host":"env-host"},"Computer":"dc1.moh","TargetUserName":"admin","Image":"C:\\Windows\\cmd.exe","CommandLine":"cmd /c whoami"}`,
			eventSummary{"dc1.moh", "admin", `C:\Windows\cmd.exe`, "cmd /c whoami"}},
		{"ecs nested", `{"host":{"name":"web1"},"user":{"name":"bob"},"process":{"executable":"/bin/sh","command_line":"sh -c id"}}`,
			eventSummary{"web1", "bob", "/bin/sh", "sh -c id"}},
		{"envelope host only", `{"@kubu":{"host":"fw01"},"message":"hello"}`, eventSummary{Host: "fw01"}},
		{"dash is nothing", `{"SubjectUserName":"-","TargetUserName":"eve"}`, eventSummary{User: "eve"}},
		{"not an object", `["a"]`, eventSummary{}},
		{"markup stays text", `{"CommandLine":"<script>alert(1)</script>"}`, eventSummary{CommandLine: "<script>alert(1)</script>"}},
	}
	for _, tt := range tests {
		if got := summarise([]byte(tt.raw)); got != tt.want {
			t.Errorf("%s: summarise = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// FuzzSummarise: any stored event gives a summary without panicking, each
// field bounded.
func FuzzSummarise(f *testing.F) {
	f.Add(`{"Computer":"a","CommandLine":"b"}`)
	f.Add(`{"host":{"name":{"x":1}}}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, raw string) {
		s := summarise([]byte(raw))
		for _, v := range []string{s.Host, s.User, s.Process, s.CommandLine} {
			if len([]rune(v)) > summaryMax+1 {
				t.Fatalf("field of %d runes", len([]rune(v)))
			}
		}
	})
}
