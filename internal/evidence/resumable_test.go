package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

type dropAfter struct {
	r io.Reader
	n int
}

func (d *dropAfter) Read(p []byte) (int, error) {
	if d.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	p = p[:min(len(p), d.n)]
	n, err := d.r.Read(p)
	d.n -= n
	return n, err
}

func TestResumableUpload(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		content := bytes.Repeat([]byte("0123456789abcdef"), 40_000) // 640 000 bytes
		up, err := e.svc.BeginUpload(ctx, mohUser, "inc1", intake("disk.E01"), int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		off, err := e.svc.AppendUpload(ctx, mohUser, up.ID, 0, bytes.NewReader(content[:100_000]))
		if err != nil || off != 100_000 {
			t.Fatalf("first piece: %d %v", off, err)
		}
		// The connection drops part way: what arrived is kept.
		off, err = e.svc.AppendUpload(ctx, mohUser, up.ID, off, &dropAfter{r: bytes.NewReader(content[off:]), n: 250_001})
		if err == nil || off != 350_001 {
			t.Fatalf("dropped piece: %d %v", off, err)
		}
		got, err := e.svc.UploadOffset(ctx, mohUser, up.ID)
		if err != nil || got.Offset != 350_001 || *got.Length != int64(len(content)) {
			t.Fatalf("offset: %+v %v", got, err)
		}
		if _, err := e.svc.AppendUpload(ctx, mohUser, up.ID, 0, bytes.NewReader(content)); !errors.Is(err, evidence.ErrUploadOffset) {
			t.Fatalf("append at a stale offset: %v", err)
		}
		if _, err := e.svc.FinishUpload(ctx, mohUser, up.ID); err == nil {
			t.Fatal("an incomplete upload was finished")
		} else if _, ok := validate.As(err); !ok {
			t.Fatalf("finish incomplete: %v", err)
		}
		// Nobody but its creator sees the upload.
		for _, a := range []authz.Actor{analyst, mofUser} {
			if _, err := e.svc.UploadOffset(ctx, a, up.ID); !errors.Is(err, authz.ErrNotFound) {
				t.Fatalf("%s sees another's upload: %v", a.Role, err)
			}
		}
		if _, err := e.svc.AppendUpload(ctx, mohUser, up.ID, off, bytes.NewReader(append(bytes.Clone(content[off:]), 'x'))); err == nil {
			t.Fatal("more bytes than the declared length were taken")
		}
		if off, err = e.svc.AppendUpload(ctx, mohUser, up.ID, off, bytes.NewReader(content[off:])); err != nil || off != int64(len(content)) {
			t.Fatalf("last piece: %d %v", off, err)
		}
		it, err := e.svc.FinishUpload(ctx, mohUser, up.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if it.ID != up.ID || it.Size != int64(len(content)) || it.SHA256 != hex.EncodeToString(sum[:]) || it.Name != "disk.E01" || it.Method == "" {
			t.Fatalf("item %+v", it)
		}
		_, rc, err := e.svc.Open(ctx, mohUser, it.ID, "check")
		if err != nil {
			t.Fatal(err)
		}
		back, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(back, content) {
			t.Fatal("read back differs")
		}
		if _, err := e.svc.UploadOffset(ctx, mohUser, up.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("finished upload still open: %v", err)
		}
		// Abort.
		up2, _ := e.svc.BeginUpload(ctx, analyst, "inc1", intake("x"), 0)
		e.svc.AppendUpload(ctx, analyst, up2.ID, 0, bytes.NewReader([]byte("partial")))
		if err := e.svc.AbortUpload(ctx, analyst, up2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UploadOffset(ctx, analyst, up2.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("aborted upload: %v", err)
		}
		recs, _ := e.log.Entries(ctx, 0, audit.Target{Type: "evidence_upload", IDs: []string{up.ID, up2.ID}}, audit.Target{Type: "evidence", IDs: []string{it.ID}})
		var codes []string
		for _, r := range recs {
			codes = append(codes, r.Code)
		}
		if want := "V1005I V1000I V1002I V1005I V1006W"; strings.Join(codes, " ") != want {
			t.Fatalf("audit codes %s, want %s", strings.Join(codes, " "), want)
		}
		if _, err := e.svc.BeginUpload(ctx, mofUser, "inc1", intake("x"), 0); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("an agency not on the incident began an upload: %v", err)
		}
	})
}
