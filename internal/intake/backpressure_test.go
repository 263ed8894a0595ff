package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/eventlog"
)

const lagDurable = "detect-test"

// consumeAll runs the durable consumer until n batches are acknowledged
// in this run, then stops it.
func consumeAll(t *testing.T, log *eventlog.Log, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var seen atomic.Int64
	err := log.Consume(ctx, lagDurable, func(_ context.Context, msgs []eventlog.Msg) error {
		if seen.Add(int64(len(msgs))) >= n {
			cancel()
		}
		return nil
	}, eventlog.WithBatchSize(100), eventlog.WithMaxWait(20*time.Millisecond))
	if seen.Load() < n {
		t.Fatalf("the consumer took %d batches, want %d (%v)", seen.Load(), n, err)
	}
}

// waitBusy waits (bounded) until back-pressure is on or off.
func waitBusy(t *testing.T, s *Service, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Pressure().Busy != want {
		if time.Now().After(deadline) {
			t.Fatalf("back-pressure busy = %v, want %v", !want, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hecEvents(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"event":{"tag":%q,"n":%d}}`, tag, i)
	}
	return b.String()
}

// TestBackPressureEvents: with detection's consumer stopped, events pile
// up past the bound; every HTTP protocol then answers its retryable busy
// answer, stores nothing, and syslog TCP is not read; once the consumer
// catches up, everything is accepted again and the paused syslog frame
// is stored.
func TestBackPressureEvents(t *testing.T) {
	r := newRig(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	auth := hecAuth(r.tokens["MOH"])

	// The consumer exists and is caught up.
	if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(1, "first")), auth); code != 200 {
		t.Fatalf("first event: %d %s", code, b)
	}
	consumeAll(t, r.log, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.s.WatchLag(ctx, LagBound{MaxEvents: 20, Durable: lagDurable, Every: 10 * time.Millisecond})
	}()
	defer func() { cancel(); <-done }()
	if r.s.Pressure().Busy {
		t.Fatal("busy while detection is caught up")
	}

	// Detection stopped: 30 events in 3 batches pile up past 20.
	for i := range 3 {
		if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(10, fmt.Sprint("pile", i))), auth); code != 200 {
			t.Fatalf("event before the bound: %d %s", code, b)
		}
	}
	waitBusy(t, r.s, true)
	stored := len(r.stored(t))

	busy := []struct {
		name, path, body string
		headers          map[string]string
		status           int
		check            func(body []byte) error
	}{
		{"hec event", "/services/collector/event", hecEvents(1, "refused"), auth, 503, wantJSON(`{"text":"Server is busy","code":9}`)},
		{"hec raw", "/services/collector/raw", "a raw line\n", auth, 503, wantJSON(`{"text":"Server is busy","code":9}`)},
		{"bulk", "/_bulk", "{\"index\":{}}\n{\"a\":1}\n", map[string]string{"Authorization": "ApiKey " + r.tokens["MOH"], "Content-Type": "application/x-ndjson"}, 429,
			func(b []byte) error {
				var e struct {
					Error struct {
						Type string `json:"type"`
					} `json:"error"`
					Status int `json:"status"`
				}
				if json.Unmarshal(b, &e) != nil || e.Error.Type != "es_rejected_execution_exception" || e.Status != 429 {
					return fmt.Errorf("not Elasticsearch's rejected execution: %s", b)
				}
				return nil
			}},
		{"otlp", "/v1/logs", `{"resourceLogs":[]}`, map[string]string{"Authorization": "Bearer " + r.tokens["MOH"], "Content-Type": "application/json"}, 503,
			func(b []byte) error {
				var e struct{ Code int }
				if json.Unmarshal(b, &e) != nil || e.Code != 14 {
					return fmt.Errorf("not OTLP UNAVAILABLE: %s", b)
				}
				return nil
			}},
	}
	for _, tt := range busy {
		code, h, b := r.send(t, "POST", tt.path, strings.NewReader(tt.body), tt.headers)
		if code != tt.status || h.Get("Retry-After") == "" {
			t.Errorf("%s while busy: %d (Retry-After %q) %s, want %d with Retry-After", tt.name, code, h.Get("Retry-After"), b, tt.status)
			continue
		}
		if err := tt.check(b); err != nil {
			t.Errorf("%s while busy: %v", tt.name, err)
		}
	}
	if code, _, b := r.send(t, "GET", "/services/collector/health", nil, auth); code != 503 || !bytes.Contains(b, []byte(`"code":18`)) {
		t.Errorf("HEC health while busy: %d %s, want 503 code 18", code, b)
	}
	ackHeaders := map[string]string{"Authorization": "Splunk " + r.tokens["MOH"], "X-Splunk-Request-Channel": "0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba"}
	if code, _, b := r.send(t, "POST", "/services/collector/ack", strings.NewReader(`{"acks":[0]}`), ackHeaders); code != 200 {
		t.Errorf("HEC ack query while busy: %d %s, want 200 (queries carry no events)", code, b)
	}
	if n := len(r.stored(t)); n != stored {
		t.Fatalf("stored %d events while busy, want none", n-stored)
	}

	// Syslog TCP: the connection is not read while busy.
	conn, err := net.Dial("tcp", l.Addr(ProtoSyslogTCP))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for r.s.Pressure().BusyAnswers[ProtoSyslogTCP] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the syslog connection did not pause")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(conn, "<34>Nov 28 01:15:03 web01 su[99]: paused frame\n")
	if n := len(r.stored(t)); n != stored {
		t.Fatalf("a paused syslog connection stored %d events", n-stored)
	}
	st := r.s.Pressure()
	for _, proto := range []string{ProtoHEC, ProtoBulk, ProtoOTLP} {
		if st.BusyAnswers[proto] == 0 {
			t.Errorf("busy answers of %s not counted: %v", proto, st.BusyAnswers)
		}
	}

	// Detection catches up: accepted again, and the paused frame is read.
	consumeAll(t, r.log, 3)
	waitBusy(t, r.s, false)
	if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(1, "after")), auth); code != 200 {
		t.Fatalf("after catching up: %d %s", code, b)
	}
	evs := r.waitStored(t, stored+2)
	var sawFrame, sawAfter bool
	for _, ev := range evs[stored:] {
		sawFrame = sawFrame || strings.Contains(ev.Line, "paused frame")
		sawAfter = sawAfter || ev.Fields["tag"] == "after"
	}
	if !sawFrame || !sawAfter {
		t.Fatalf("after catching up: the paused syslog frame stored %v, the new HEC event stored %v", sawFrame, sawAfter)
	}
}

// TestBackPressureSeconds: the bound in seconds counts from the oldest
// batch the consumer has not finished.
func TestBackPressureSeconds(t *testing.T) {
	var skew atomic.Int64
	r := newRig(t, Options{Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	auth := hecAuth(r.tokens["MOH"])
	if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(1, "first")), auth); code != 200 {
		t.Fatalf("first event: %d %s", code, b)
	}
	consumeAll(t, r.log, 1)
	bound := LagBound{MaxLag: time.Minute, Durable: lagDurable}
	if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(1, "second")), auth); code != 200 {
		t.Fatalf("second event: %d %s", code, b)
	}
	r.s.checkLag(t.Context(), bound)
	if r.s.Pressure().Busy {
		t.Fatal("busy with one fresh batch pending")
	}
	skew.Store(int64(2 * time.Minute)) // the pending batch is now two minutes old
	r.s.checkLag(t.Context(), bound)
	if st := r.s.Pressure(); !st.Busy || !strings.Contains(st.Reason, "behind") {
		t.Fatalf("not busy with a batch two minutes old pending: %+v", st)
	}
	if code, _, b := r.send(t, "POST", "/services/collector/event", strings.NewReader(hecEvents(1, "third")), auth); code != 503 {
		t.Fatalf("while busy: %d %s", code, b)
	}
	consumeAll(t, r.log, 1)
	r.s.checkLag(t.Context(), bound)
	if r.s.Pressure().Busy {
		t.Fatal("still busy once caught up")
	}
}

func wantJSON(want string) func([]byte) error {
	return func(b []byte) error {
		if got := string(bytes.TrimSpace(b)); got != want {
			return fmt.Errorf("answer %s, want %s", got, want)
		}
		return nil
	}
}
