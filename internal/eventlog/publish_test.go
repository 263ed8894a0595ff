package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func init() {
	register("PublishReturnsIncreasingSeqs", testPublishSeqs)
	register("PublishDeduplicatesByMsgID", testPublishDedup)
	register("PublishRejectsBadInput", testPublishRejects)
	register("PublishAll", testPublishAll)
}

func testPublishSeqs(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	var seqs []uint64
	for i := range 5 {
		seqs = append(seqs, mustPublish(t, l, subj, fmt.Sprintf("batch-%d", i), ""))
	}
	if diff := cmp.Diff([]uint64{1, 2, 3, 4, 5}, seqs); diff != "" {
		t.Errorf("sequences (-want +got):\n%s", diff)
	}
	st, err := l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 5 || st.FirstSeq != 1 || st.LastSeq != 5 || st.FirstTime.IsZero() || st.LastTime.Before(st.FirstTime) {
		t.Errorf("Stats = %+v, want 5 messages seq 1..5 with ordered times", st)
	}
}

func testPublishDedup(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	first := mustPublish(t, l, subj, "payload", "batch-42")
	again := mustPublish(t, l, subj, "payload", "batch-42")
	other := mustPublish(t, l, subj, "payload", "batch-43")
	if again != first {
		t.Errorf("duplicate publish got seq %d, want the original %d", again, first)
	}
	if other == first {
		t.Errorf("a different msgID got the same seq %d", other)
	}
	got := rangeAll(t, l, zeroTime, zeroTime)
	if len(got) != 2 || got[0].MsgID != "batch-42" || got[1].MsgID != "batch-43" {
		t.Errorf("stored %d messages with ids %v, want batch-42 and batch-43 once each", len(got), msgIDs(got))
	}
}

func msgIDs(msgs []Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.MsgID
	}
	return out
}

func testPublishRejects(t *testing.T, e *env) {
	l := e.open(t)
	big := bytes.Repeat([]byte("x"), l.MaxBatchBytes()+1)
	tests := []struct {
		name    string
		subject string
		data    []byte
		msgID   string
		is      error
	}{
		{name: "other prefix", subject: "other.events.MOH", data: []byte("x")},
		{name: "bare prefix", subject: l.Prefix(), data: []byte("x")},
		{name: "wildcard", subject: l.Prefix() + ".*", data: []byte("x")},
		{name: "empty token", subject: l.Prefix() + "..MOH", data: []byte("x")},
		{name: "space", subject: l.Prefix() + ".M OH", data: []byte("x")},
		{name: "empty batch", subject: l.Prefix() + ".MOH"},
		{name: "too large", subject: l.Prefix() + ".MOH", data: big, is: ErrBatchTooLarge},
		{name: "long msg id", subject: l.Prefix() + ".MOH", data: []byte("x"), msgID: string(bytes.Repeat([]byte("i"), 257))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Publish(t.Context(), tt.subject, tt.data, tt.msgID)
			if err == nil {
				t.Fatalf("Publish accepted it")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if _, err := l.PublishAsync(Batch{Subject: tt.subject, Data: tt.data, MsgID: tt.msgID}); err == nil {
				t.Errorf("PublishAsync accepted it")
			}
		})
	}
	// A batch of exactly MaxBatchBytes with an ID must fit.
	if _, err := l.Publish(t.Context(), l.Prefix()+".MOH", big[:l.MaxBatchBytes()], "max-size"); err != nil {
		t.Errorf("Publish of MaxBatchBytes: %v", err)
	}
}

func testPublishAll(t *testing.T, e *env) {
	l := e.open(t)
	const n = 600 // more than the async window of 256
	batches := make([]Batch, n)
	for i := range batches {
		batches[i] = Batch{Subject: mustSubject(t, l, fmt.Sprintf("A%d", i%3)), Data: fmt.Appendf(nil, "b%d", i), MsgID: fmt.Sprintf("id-%d", i)}
	}
	seqs, err := l.PublishAll(t.Context(), batches)
	if err != nil {
		t.Fatalf("PublishAll: %v", err)
	}
	sorted := slices.Clone(seqs)
	slices.Sort(sorted)
	for i, s := range sorted {
		if s != uint64(i+1) {
			t.Fatalf("sequences are not 1..%d: sorted[%d] = %d", n, i, s)
		}
	}
	// Every sequence holds its own batch.
	got := rangeAll(t, l, zeroTime, zeroTime)
	bySeq := map[uint64]string{}
	for _, m := range got {
		bySeq[m.Seq] = string(m.Data)
	}
	for i, s := range seqs {
		if want := fmt.Sprintf("b%d", i); bySeq[s] != want {
			t.Fatalf("seq %d holds %q, want %q", s, bySeq[s], want)
		}
	}
	// Republishing the same IDs stores nothing new.
	again, err := l.PublishAll(t.Context(), batches[:10])
	if err != nil {
		t.Fatalf("PublishAll again: %v", err)
	}
	if diff := cmp.Diff(seqs[:10], again); diff != "" {
		t.Errorf("republished sequences (-first +again):\n%s", diff)
	}
}
