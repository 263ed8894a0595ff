package evidence_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

type part struct{ name, filename, value string }

func form(parts ...part) (*multipart.Reader, int) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.filename != "" {
			fw, _ := w.CreateFormFile(p.name, p.filename)
			fw.Write([]byte(p.value))
		} else {
			w.WriteField(p.name, p.value)
		}
	}
	w.Close()
	return multipart.NewReader(&b, w.Boundary()), b.Len()
}

func TestAddMultipart(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, db, evidence.Options{})
	mr, _ := form(part{"description", "", "router config dump"}, part{"collected_at", "", "2026-03-01T08:30:00+08:00"},
		part{"collected_by", "", "ana@csa.gov"}, part{"method", "", "show running-config"}, part{"file", "rtr01.cfg", "hostname rtr01\n"})
	it, err := e.svc.AddMultipart(ctx, analyst, "inc1", mr)
	if err != nil {
		t.Fatal(err)
	}
	if it.Name != "rtr01.cfg" || it.Description != "router config dump" || it.CollectedAt == nil ||
		!it.CollectedAt.Equal(time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)) || it.Method != "show running-config" || it.Size != 15 {
		t.Fatalf("item %+v", it)
	}
	bad := map[string][]part{
		"collected_at":  {{"collected_at", "", "yesterday"}, {"file", "a", "x"}},
		"colour":        {{"colour", "", "red"}, {"file", "a", "x"}},
		"file":          {{"description", "", "no file"}},
		"description":   {{"file", "a", "x"}, {"description", "", "too late"}},
		"file (noname)": {{"file", "", "x"}},
	}
	for field, parts := range bad {
		mr, _ := form(parts...)
		_, err := e.svc.AddMultipart(ctx, analyst, "inc1", mr)
		v, ok := validate.As(err)
		if !ok || !strings.HasPrefix(field, v[0].Field) {
			t.Errorf("%s: %v, want a validation error on it", field, err)
		}
	}
	if items, _ := e.svc.List(ctx, analyst, "inc1"); len(items) != 1 {
		t.Fatalf("%d items after bad uploads, want the one good one", len(items))
	}
}

// TestTwoGiBMultipartUpload streams a generated 2 GiB file through a
// multipart body into the locker, as the upload route will, and checks the
// heap stays under 100 MB (KUBU_TEST_HEAVY=1; numbers in docs/benchmarks.md).
func TestTwoGiBMultipartUpload(t *testing.T) {
	if os.Getenv("KUBU_TEST_HEAVY") == "" {
		t.Skip("writes 2 GiB: set KUBU_TEST_HEAVY=1")
	}
	const size = 2 << 30
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, db, evidence.Options{})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("description", "memory dump")
		fw, _ := mw.CreateFormFile("file", "mem.raw")
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for left := int64(size); left > 0; left -= int64(len(buf)) {
			if _, err := fw.Write(buf[:min(int64(len(buf)), left)]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	it, err := e.svc.AddMultipart(ctx, analyst, "inc1", multipart.NewReader(pr, mw.Boundary()))
	close(done)
	wg.Wait()
	if err != nil || it.Size != size {
		t.Fatalf("upload: %+v %v", it, err)
	}
	t.Logf("2 GiB multipart upload into the locker: %.1fs, peak heap in use %.1f MB", time.Since(start).Seconds(), float64(peak)/1e6)
	if peak > 100<<20 {
		t.Fatalf("peak heap %d bytes", peak)
	}
}

func FuzzReadFields(f *testing.F) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.SetBoundary("BOUNDARY")
	w.WriteField("collected_at", "2026-03-01T08:30:00Z")
	fw, _ := w.CreateFormFile("file", "a.bin")
	fw.Write([]byte("content"))
	w.Close()
	f.Add(b.Bytes())
	f.Add([]byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--BOUNDARY--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, file, err := evidence.ReadFields(multipart.NewReader(bytes.NewReader(body), "BOUNDARY"))
		if err != nil {
			if _, ok := validate.As(err); !ok {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		if file == nil || in.Name == "" {
			t.Fatalf("no file part but no error: %+v", in)
		}
	})
}
