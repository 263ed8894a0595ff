package evtx

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// evtxFiles lists the .evtx files under dir, recursively.
func evtxFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(strings.ToLower(path), ".evtx") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("walking %s: %v", dir, err)
	}
	return files
}

// TestCorpusNoRecordLost reads every record of the attack-sample corpus and
// checks, per file, that the records read equal what the chunk headers
// declare, that none failed, and that the total is 12,953. It also checks
// that each record's flat JSON decodes and carries the record's identifier
// as EventRecordID.
func TestCorpusNoRecordLost(t *testing.T) {
	dir := corpus.Path(t, "evtx")
	files := evtxFiles(t, dir)
	if len(files) != 412 {
		t.Errorf("found %d .evtx files, want 412", len(files))
	}
	total := 0
	var out []byte
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		r, err := Open(path)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		n, renumbered := 0, 0
		for rec, err := range r.Records() {
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				break
			}
			out = rec.AppendFlatJSON(out[:0])
			var flat struct{ EventRecordID json.Number }
			if err := json.Unmarshal(out, &flat); err != nil {
				t.Errorf("%s: record %d: flat JSON: %v", rel, rec.ID, err)
			} else if flat.EventRecordID.String() != strconv.FormatUint(rec.ID, 10) {
				t.Errorf("%s: record %d: EventRecordID in the event is %q", rel, rec.ID, flat.EventRecordID)
			}
			if rec.HeaderID != rec.ID {
				renumbered++
			}
			n++
		}
		st := r.Stats()
		r.Close()
		if uint64(n) != st.RecordsDeclared || st.RecordsRead != n {
			t.Errorf("%s: read %d records, chunk headers declare %d", rel, n, st.RecordsDeclared)
		}
		if st.RecordsFailed != 0 || st.ChunksSkipped != 0 {
			t.Errorf("%s: %d records failed, %d chunks skipped: %v", rel, st.RecordsFailed, st.ChunksSkipped, st.Warnings)
		}
		if renumbered > 0 {
			t.Logf("%s: %d of %d records renumbered in their headers (exported log)", rel, renumbered, n)
		}
		total += n
	}
	if total != 12953 {
		t.Errorf("read %d records in total, want 12953", total)
	}
}
