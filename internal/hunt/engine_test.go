package hunt

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const loginRule = "    sel:\n        action: login\n    condition: sel\n"

func TestUnreadableInputsAreReportedOthersRead(t *testing.T) {
	rules := writeFiles(t, map[string]string{"r.yml": ruleYAML("33333333-0000-4000-8000-000000000001", "Login", "low", loginRule)})
	logs := writeFiles(t, map[string]string{
		"a.jsonl":      `{"action":"login","n":1}` + "\n" + `{"action":"logout"}` + "\n" + `[1]` + "\n",
		"broken.evtx":  "this is not an EVTX file at all, just text long enough to have a header",
		"sub/b.json":   `[{"action":"login","n":2}, 5]`,
		"sub/skip.txt": `{"action":"login"}`,
		"plain/c.log":  `{"action":"login","n":3}` + "\n",
		"empty.ndjson": "",
	})
	rs := LoadRules([]string{rules}, RuleOptions{})
	inputs := []string{logs, filepath.Join(logs, "missing.jsonl"), filepath.Join(logs, "plain", "c.log")}
	res, err := Run(context.Background(), rs, inputs, RunOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		Name            string
		Records, Failed int
		Unreadable      bool
	}
	var got []file
	for _, f := range res.Files {
		rel, _ := filepath.Rel(logs, f.Path)
		got = append(got, file{filepath.ToSlash(rel), f.Records, f.Failed, f.Err != ""})
	}
	want := []file{
		{"a.jsonl", 2, 1, false},
		{"broken.evtx", 0, 0, true},
		{"empty.ndjson", 0, 0, false},
		{"sub/b.json", 1, 1, false},
		{"plain/c.log", 1, 0, false},
		{"missing.jsonl", 0, 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if res.Records != 4 || res.RecordsFailed != 2 || res.FailedFiles() != 2 {
		t.Errorf("records %d, failed %d, failed files %d; want 4, 2, 2", res.Records, res.RecordsFailed, res.FailedFiles())
	}
	var sources []string
	for _, d := range res.Detections {
		rel, _ := filepath.Rel(logs, d.File)
		sources = append(sources, filepath.ToSlash(rel)+"#"+strings.TrimPrefix(d.Source(), d.File+"#"))
	}
	if diff := cmp.Diff([]string{"a.jsonl#1", "plain/c.log#1", "sub/b.json#1"}, sources); diff != "" {
		t.Errorf("detections (-want +got):\n%s", diff)
	}
	var sum bytes.Buffer
	res.WriteSummary(&sum, time.Second, time.Second)
	for _, want := range []string{"inputs: 6 files (2 unreadable), 4 records (2 failed)", "unreadable: " + filepath.Join(logs, "broken.evtx"), "detections: 3 (low 3)"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

func TestStats(t *testing.T) {
	res := goldenRun(t, RuleOptions{})
	got := res.Stats(1500*time.Millisecond, 250*time.Millisecond)
	want := Stats{Files: 3, Records: 12, RecordsFailed: 2, RulesLoaded: 6, Detections: 7, LoadSeconds: 1.5, Seconds: 0.25}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := LoadRules([]string{"testdata/golden/rules"}, RuleOptions{})
	if _, err := Run(ctx, rs, []string{"testdata/golden/logs"}, RunOptions{}); err == nil {
		t.Fatal("Run with a cancelled context succeeded")
	}
}

func TestProgress(t *testing.T) {
	var c Counters
	c.Files.Store(4)
	c.FilesDone.Store(1)
	c.Bytes.Store(1000)
	c.BytesDone.Store(500)
	c.Records.Store(1234)
	c.Detections.Store(7)
	if got, want := progressLine(&c), "[###############...............]  50%  1/4 files  1234 records  7 detections"; got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
	var buf syncBuffer
	stop := StartProgress(&buf, &c, time.Millisecond)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(buf.String(), "\r[###") < 2; { // redrawn at least once
		if time.Now().After(deadline) {
			t.Fatalf("progress never drawn twice: %q", buf.String())
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // a second stop is harmless
	out := buf.String()
	if !strings.Contains(out, "\r[###") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("progress output %q: want redrawn bars and an erased line at the end", out)
	}
}

func TestForeignRulesSkipWindowsEvents(t *testing.T) {
	rules := writeFiles(t, map[string]string{"zeek.yml": "title: Zeek Anything\nid: 55555555-0000-4000-8000-000000000001\nlevel: low\n" +
		"logsource:\n    product: zeek\n    service: rdp\ndetection:\n    sel:\n        id.orig_h: 10.0.0.1\n    condition: not sel\n"})
	logs := writeFiles(t, map[string]string{
		"a.jsonl": `{"Channel":"Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational","EventID":1149}` + "\n" +
			`{"Event":{"System":{"Channel":"Custom/Operational","EventID":1}}}` + "\n" +
			`{"id.orig_h":"203.0.113.9","EventID":5}` + "\n",
	})
	res, err := Run(context.Background(), LoadRules([]string{rules}, RuleOptions{}), []string{logs}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, d := range res.Detections {
		got = append(got, d.Record)
	}
	if diff := cmp.Diff([]uint64{3}, got); diff != "" {
		t.Errorf("records matched by a zeek rule (-want +got):\n%s", diff)
	}
}
