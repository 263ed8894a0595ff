package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

var _ Resumable = (*Local)(nil)

// failAfter yields n bytes of b, then fails like a dropped connection.
type failAfter struct {
	r io.Reader
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestResumableUpload(t *testing.T) {
	ctx := context.Background()
	l := small(t)
	b := data(7777, 5)
	if err := l.Begin(ctx, "up", PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Begin(ctx, "up", PutOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Begin: %v", err)
	}
	off := int64(0)
	for _, n := range []int{0, 10, 1014, 1024, 1, 2000, 100} { // across and onto chunk boundaries
		got, err := l.Append(ctx, "up", off, bytes.NewReader(b[off:off+int64(n)]))
		if err != nil || got != off+int64(n) {
			t.Fatalf("Append %d at %d: %d, %v", n, off, got, err)
		}
		off = got
	}
	// A wrong offset is refused with the right one.
	if got, err := l.Append(ctx, "up", 5, bytes.NewReader(b[5:10])); !errors.Is(err, ErrOffset) || got != off {
		t.Fatalf("Append at a wrong offset: %d, %v", got, err)
	}
	// A dropped connection keeps what arrived; the client resumes there.
	got, err := l.Append(ctx, "up", off, &failAfter{r: bytes.NewReader(b[off:]), n: 1500})
	if err == nil || got != off+1500 {
		t.Fatalf("interrupted Append: %d, %v", got, err)
	}
	off = got
	if o, err := l.Offset(ctx, "up"); err != nil || o != off {
		t.Fatalf("Offset = %d, %v; want %d", o, err, off)
	}
	// A crash while writing left junk after the part's recorded length.
	pf, _ := os.OpenFile(l.uploadPath("up", ".part"), os.O_WRONLY|os.O_APPEND, 0)
	pf.Write(bytes.Repeat([]byte{0xee}, 3000))
	pf.Close()
	// Nothing of the evidence is at rest in the clear, not even the pending bytes.
	st, _ := os.ReadFile(l.uploadPath("up", ".state"))
	if bytes.Contains(st, b[off-16:off]) {
		t.Fatal("pending plaintext found in the upload state")
	}
	if got, err := l.Append(ctx, "up", off, bytes.NewReader(b[off:])); err != nil || got != int64(len(b)) {
		t.Fatalf("last Append: %d, %v", got, err)
	}
	obj, err := l.Finish(ctx, "up")
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := l.Put(ctx, "whole", bytes.NewReader(b), PutOptions{})
	if obj.Size != whole.Size || obj.SHA256 != whole.SHA256 || obj.SHA1 != whole.SHA1 || obj.MD5 != whole.MD5 {
		t.Fatalf("resumed %+v, whole %+v", obj, whole)
	}
	rc, err := l.Open(ctx, "up", obj.Digest())
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(back, b) {
		t.Fatalf("read back %d bytes: %v", len(back), err)
	}
	if _, err := l.Offset(ctx, "up"); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("the upload is still open after Finish: %v", err)
	}
	if err := l.Begin(ctx, "up", PutOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Begin over an object: %v", err)
	}
}

func TestResumableLimitsAndAbort(t *testing.T) {
	ctx := context.Background()
	l := small(t)
	if err := l.Begin(ctx, "lim", PutOptions{MaxSize: 3000}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "lim", 0, bytes.NewReader(data(2000, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "lim", 2000, bytes.NewReader(data(1001, 2))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if o, _ := l.Offset(ctx, "lim"); o != 2000 {
		t.Fatalf("offset after a refused append: %d", o)
	}
	if _, err := l.Append(ctx, "lim", 2000, bytes.NewReader(data(1000, 2))); err != nil {
		t.Fatalf("up to the limit: %v", err)
	}
	if err := l.Abort(ctx, "lim"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "lim", 3000, bytes.NewReader(nil)); !errors.Is(err, ErrUploadNotFound) {
		t.Fatalf("append to an aborted upload: %v", err)
	}
	if left, _ := os.ReadDir(l.dir + "/uploads"); len(left) != 0 {
		t.Fatalf("%d files left after Abort", len(left))
	}
	// A changed state file is an integrity error, not a silent resume.
	l.Begin(ctx, "st", PutOptions{})
	l.Append(ctx, "st", 0, bytes.NewReader(data(100, 3)))
	raw, _ := os.ReadFile(l.uploadPath("st", ".state"))
	os.WriteFile(l.uploadPath("st", ".state"), bytes.Replace(raw, []byte(`"offset":100`), []byte(`"offset":99`), 1), 0o600)
	if _, err := l.Offset(ctx, "st"); !IsIntegrity(err) {
		t.Fatalf("altered upload state: %v", err)
	}
}
