package evtx

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentReaders runs readers on several goroutines at once (the
// working memory pool is shared) and checks each sees its own records.
// Run with -race.
func TestConcurrentReaders(t *testing.T) {
	files := make([][]byte, 8)
	for i := range files {
		files[i] = buildFile(threeRecords(uint64(100*i+1)).bytes(), threeRecords(uint64(100*i+4)).bytes())
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(files)*4)
	for round := range 4 {
		for i, data := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := NewReader(bytes.NewReader(data), int64(len(data)), "f")
				if err != nil {
					errs <- err.Error()
					return
				}
				defer r.Close()
				want := uint64(100*i + 1)
				var out []byte
				for rec, err := range r.Records() {
					if err != nil || rec.ID != want {
						errs <- fmt.Sprintf("round %d file %d: got record %d (%v), want %d", round, i, rec.ID, err, want)
						return
					}
					out = rec.AppendFlatJSON(out[:0])
					want++
				}
				if want != uint64(100*i+7) {
					errs <- fmt.Sprintf("round %d file %d: stopped before record %d", round, i, want)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
