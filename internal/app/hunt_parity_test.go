package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/event"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/store"
)

// winlogbeatExport reads records from the corpus EVTX files (at most
// perFile from each, max in all) and writes them as Winlogbeat 8 would ship
// them (the ECS layout: winlog.*, winlog.event_data, log.level, …), one
// document a line. It returns the NDJSON.
func winlogbeatExport(t *testing.T, perFile, max int) []byte {
	t.Helper()
	root := corpus.Path(t, "evtx")
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".evtx") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var out bytes.Buffer
	n := 0
	for _, f := range files {
		rd, err := evtx.Open(f)
		if err != nil {
			continue
		}
		k := 0
		for rec, err := range rd.Records() {
			if err != nil || k == perFile || n == max {
				break
			}
			doc, ok := winlogbeatDoc(t, rec)
			if !ok {
				continue
			}
			out.Write(doc)
			out.WriteByte('\n')
			k++
			n++
		}
		rd.Close()
		if n == max {
			break
		}
	}
	if n == 0 {
		t.Fatal("no EVTX records in the corpus")
	}
	return out.Bytes()
}

// winlogbeatDoc is one EVTX record in Winlogbeat 8's ECS shape.
func winlogbeatDoc(t *testing.T, rec *evtx.Record) ([]byte, bool) {
	var nested map[string]map[string]json.RawMessage
	if json.Unmarshal(rec.AppendJSON(nil), &nested) != nil || nested["Event"]["System"] == nil {
		return nil, false
	}
	sysOnly, _ := json.Marshal(map[string]any{"Event": map[string]any{"System": nested["Event"]["System"]}})
	sysFlat, err := evtx.FlattenJSON(sysOnly, nil)
	if err != nil {
		return nil, false
	}
	var sys, all map[string]any
	json.Unmarshal(sysFlat, &sys)
	if json.Unmarshal(rec.AppendFlatJSON(nil), &all) != nil {
		return nil, false
	}
	data := map[string]any{}
	for k, v := range all {
		if _, isSys := sys[k]; !isSys {
			data[k] = v
		}
	}
	winlog := map[string]any{"api": "wineventlog", "event_data": data}
	put := func(dst map[string]any, key string, v any) {
		if v != nil {
			dst[key] = v
		}
	}
	str := func(v any) any {
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return v
	}
	put(winlog, "event_id", str(sys["EventID"]))
	put(winlog, "version", sys["Version"])
	put(winlog, "task", sys["Task"])
	put(winlog, "opcode", sys["Opcode"])
	put(winlog, "keywords", sys["Keywords"])
	put(winlog, "record_id", sys["EventRecordID"])
	put(winlog, "channel", sys["Channel"])
	put(winlog, "computer_name", sys["Computer"])
	put(winlog, "provider_name", sys["Provider_Name"])
	put(winlog, "provider_guid", sys["Provider_Guid"])
	put(winlog, "event_source_name", sys["Provider_EventSourceName"])
	put(winlog, "activity_id", sys["Correlation_ActivityID"])
	put(winlog, "related_activity_id", sys["Correlation_RelatedActivityID"])
	if pid := sys["Execution_ProcessID"]; pid != nil {
		proc := map[string]any{"pid": pid}
		if tid := sys["Execution_ThreadID"]; tid != nil {
			proc["thread"] = map[string]any{"id": tid}
		}
		winlog["process"] = proc
	}
	if uid := sys["Security_UserID"]; uid != nil {
		winlog["user"] = map[string]any{"identifier": uid}
	}
	level := sys["Level"]
	if f, ok := level.(float64); ok && f >= 1 && f <= 5 {
		level = []string{"", "critical", "error", "warning", "information", "verbose"}[int(f)]
	}
	doc := map[string]any{
		"@timestamp": sys["TimeCreated"],
		"agent":      map[string]any{"type": "winlogbeat", "version": "8.15.0"},
		"ecs":        map[string]any{"version": "8.0.0"},
		"event":      map[string]any{"code": str(sys["EventID"]), "kind": "event", "provider": sys["Provider_Name"]},
		"host":       map[string]any{"name": sys["Computer"]},
		"winlog":     winlog,
	}
	if level != nil {
		doc["log"] = map[string]any{"level": level}
	}
	b, err := json.Marshal(doc)
	return b, err == nil
}

// eventKey names one event by what identifies a Windows record.
func eventKey(flat []byte) string {
	var f struct {
		Computer, Channel, Provider_Name string
		EventRecordID                    json.Number
		TimeCreated                      string
	}
	json.Unmarshal(flat, &f)
	return fmt.Sprintf("%s|%s|%s|%s|%s", f.Computer, f.Channel, f.Provider_Name, f.EventRecordID, f.TimeCreated)
}

// TestHuntMatchesLiveDetection: `kubu hunt` over a Winlogbeat export finds
// exactly what live detection finds for the same events shipped to _bulk
// (one event shape: the same normaliser, the same matched object), with
// the whole SigmaHQ Windows rule set.
func TestHuntMatchesLiveDetection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole SigmaHQ Windows rule set")
	}
	rules := corpus.Path(t, "sigma", "rules", "windows")
	export := winlogbeatExport(t, 25, 3000)
	lines := bytes.Count(export, []byte("\n"))

	// Live: intake → event log → detection.
	ta := newTestApp(t, store.SQLite)
	ta.Cfg.Rules = []string{rules}
	mon, err := ta.StartMonitoring(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Stop(context.Background()) })
	if err := ta.Detect.WaitRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body := ta.do(t, "admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOH","name":"winlogbeat"}`)
	token := body["token"].(string)
	sc := bufio.NewScanner(bytes.NewReader(export))
	sc.Buffer(nil, 4<<20)
	var batch bytes.Buffer
	flush := func() {
		if batch.Len() == 0 {
			return
		}
		req, _ := http.NewRequest("POST", ta.srv.URL+"/_bulk", bytes.NewReader(batch.Bytes()))
		req.Header.Set("Authorization", "ApiKey "+token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Errors bool }
		json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if resp.StatusCode != 200 || r.Errors {
			t.Fatalf("_bulk: %d errors=%v", resp.StatusCode, r.Errors)
		}
		batch.Reset()
	}
	for i := 0; sc.Scan(); i++ {
		batch.WriteString("{\"create\":{\"_index\":\"winlogbeat-8.15.0\"}}\n")
		batch.Write(sc.Bytes())
		batch.WriteByte('\n')
		if i%500 == 499 {
			flush()
		}
	}
	flush()
	waitUntil(t, "detection evaluated every event", func() bool { return ta.Detect.Evaluated() >= int64(lines) })

	// Stored event ids → their events, from the event log.
	keys := map[string]string{}
	err = mon.Log.Range(context.Background(), time.Time{}, time.Time{}, func(m eventlog.Msg) error {
		i := 0
		for _, line := range bytes.Split(m.Data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			_, end, _ := event.Split(line)
			id := fmt.Sprintf("%d-%d", m.Seq, i) // detection's event id: "<stream id>-<seq>-<index>"
			if m.StreamID != "" {
				id = m.StreamID + "-" + id
			}
			event.WithBody(line, end, func(body []byte) { keys[id] = eventKey(body) })
			i++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]int{}
	rows, err := ta.DB.R().QueryContext(context.Background(), `SELECT rule_id, event_id FROM alert_events WHERE hunt_id = ''`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var rule, id string
		rows.Scan(&rule, &id)
		live[rule+" "+keys[id]]++
	}
	rows.Close()

	// Offline: kubu hunt over the export file.
	dir := t.TempDir()
	file := filepath.Join(dir, "winlogbeat-export.ndjson")
	os.WriteFile(file, export, 0o600)
	out, err := exec.Command(buildKubu(t), "hunt", "--rules", rules, "--format", "jsonl", file).Output()
	if err != nil {
		t.Fatalf("kubu hunt: %v", err)
	}
	offline := map[string]int{}
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var d struct {
			RuleID string          `json:"rule_id"`
			Event  json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(l, &d); err != nil {
			t.Fatalf("hunt output line %q: %v", l, err)
		}
		offline[d.RuleID+" "+eventKey(d.Event)]++
	}
	t.Logf("%d Winlogbeat events: live detection %d matches, kubu hunt %d", lines, len(live), len(offline))
	if len(live) < 10 {
		t.Fatalf("only %d matches: the comparison says little", len(live))
	}
	if diff := cmp.Diff(live, offline); diff != "" {
		t.Fatalf("live detection vs kubu hunt (-live +hunt):\n%s", diff)
	}
}
