package blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var master = bytes.Repeat([]byte{0x42}, 32)

// small returns a store with 1 KiB chunks so tests cross many chunk
// boundaries quickly.
func small(t testing.TB) *Local {
	l, err := NewLocal(t.TempDir(), master)
	if err != nil {
		t.Fatal(err)
	}
	l.chunk = 1024
	return l
}

func data(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

func TestRoundTripAndHashes(t *testing.T) {
	l := small(t)
	ctx := context.Background()
	for i, n := range []int{0, 1, 1023, 1024, 1025, 3 * 1024, 10_000} {
		b := data(n, uint64(i))
		id := "obj" + string(rune('a'+i))
		obj, err := l.Put(ctx, id, bytes.NewReader(b), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s256, s1, m5 := sha256.Sum256(b), sha1.Sum(b), md5.Sum(b)
		if obj.Size != int64(n) || obj.SHA256 != hexOf(s256[:]) || obj.SHA1 != hexOf(s1[:]) || obj.MD5 != hexOf(m5[:]) {
			t.Fatalf("size %d: object %+v", n, obj)
		}
		rc, err := l.Open(ctx, id, obj.Digest())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("size %d: read back %d bytes, %v", n, len(got), err)
		}
		raw, _ := os.ReadFile(l.Path(id))
		if n > 16 && bytes.Contains(raw, b[:16]) {
			t.Fatalf("size %d: plaintext found at rest", n)
		}
	}
}

func TestImmutable(t *testing.T) {
	l := small(t)
	ctx := context.Background()
	obj, err := l.Put(ctx, "e1", bytes.NewReader([]byte("first")), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, "e1", bytes.NewReader([]byte("second")), PutOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Put of one id: %v", err)
	}
	if err := Check(ctx, l, "e1", obj.Digest()); err != nil {
		t.Fatalf("the first object changed: %v", err)
	}
	if _, err := l.Put(ctx, "../x", bytes.NewReader(nil), PutOptions{}); !errors.Is(err, ErrBadID) {
		t.Fatalf("path in id: %v", err)
	}
	if _, err := l.Open(ctx, "nope", Digest{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	// Racing uploads of one id: exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan int, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Put(ctx, "race", bytes.NewReader(data(5000, uint64(i))), PutOptions{}); err == nil {
				wins <- i
			} else if !errors.Is(err, ErrExists) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	if len(wins) != 1 {
		t.Fatalf("%d uploads of one id succeeded", len(wins))
	}
	if left, _ := os.ReadDir(filepath.Join(l.dir, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %d", len(left))
	}
}

func TestSizeLimitLeavesNothing(t *testing.T) {
	l := small(t)
	ctx := context.Background()
	if _, err := l.Put(ctx, "big", bytes.NewReader(data(5000, 1)), PutOptions{MaxSize: 4999}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := os.Stat(l.Path("big")); !os.IsNotExist(err) {
		t.Fatal("an object over the limit was stored")
	}
	if left, _ := os.ReadDir(filepath.Join(l.dir, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %d", len(left))
	}
	if _, err := l.Put(ctx, "big", bytes.NewReader(data(5000, 1)), PutOptions{MaxSize: 5000}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Put(cctx, "cancelled", bytes.NewReader(data(5000, 1)), PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
}

// Every kind of change to a stored object is an *IntegrityError on read.
func TestTamperingIsAnIntegrityError(t *testing.T) {
	ctx := context.Background()
	const n = 5000 // 4 full chunks of 1 KiB and a final one of 904 bytes
	hdrLen := len(header(1024, make([]byte, saltSize), "ev"))
	full := 1024 + tagSize
	cases := map[string]func(raw []byte) []byte{
		"flip in magic":          flip(0),
		"flip in chunk size":     flip(10),
		"flip in salt":           flip(20),
		"flip in id":             flip(hdrLen - 1),
		"flip in first chunk":    flip(hdrLen + 5),
		"flip in a tag":          flip(hdrLen + full - 1),
		"flip in final chunk":    func(raw []byte) []byte { return flip(len(raw) - 100)(raw) },
		"flip last byte":         func(raw []byte) []byte { return flip(len(raw) - 1)(raw) },
		"truncated mid-chunk":    func(raw []byte) []byte { return raw[:len(raw)-10] },
		"final chunk dropped":    func(raw []byte) []byte { return raw[:hdrLen+4*full] },
		"truncated to header":    func(raw []byte) []byte { return raw[:hdrLen] },
		"header only half":       func(raw []byte) []byte { return raw[:hdrLen/2] },
		"bytes appended":         func(raw []byte) []byte { return append(raw, 0) },
		"a chunk appended again": func(raw []byte) []byte { return append(raw[:len(raw):len(raw)], raw[hdrLen:hdrLen+full]...) },
		"chunks swapped": func(raw []byte) []byte {
			out := bytes.Clone(raw)
			a, b := raw[hdrLen:hdrLen+full], raw[hdrLen+full:hdrLen+2*full]
			copy(out[hdrLen:], b)
			copy(out[hdrLen+full:], a)
			return out
		},
		"a chunk dropped": func(raw []byte) []byte {
			return append(bytes.Clone(raw[:hdrLen+full]), raw[hdrLen+2*full:]...)
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			l := small(t)
			obj, err := l.Put(ctx, "ev", bytes.NewReader(data(n, 9)), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rewriteObject(t, l.Path("ev"), change)
			if err := Check(ctx, l, "ev", obj.Digest()); !IsIntegrity(err) {
				t.Fatalf("read after %s: %v, want an integrity error", name, err)
			}
		})
	}
	t.Run("object moved to another id", func(t *testing.T) {
		l := small(t)
		a, _ := l.Put(ctx, "aa", bytes.NewReader(data(n, 1)), PutOptions{})
		l.Put(ctx, "bb", bytes.NewReader(data(n, 2)), PutOptions{})
		raw, _ := os.ReadFile(l.Path("aa"))
		rewriteObject(t, l.Path("bb"), func([]byte) []byte { return raw })
		if err := Check(ctx, l, "bb", a.Digest()); !IsIntegrity(err) {
			t.Fatalf("moved object: %v", err)
		}
	})
	t.Run("recorded hash differs", func(t *testing.T) {
		l := small(t)
		obj, _ := l.Put(ctx, "ev", bytes.NewReader(data(n, 1)), PutOptions{})
		want := obj.Digest()
		want.SHA256 = hexOf(make([]byte, 32))
		if err := Check(ctx, l, "ev", want); !IsIntegrity(err) {
			t.Fatalf("another recorded hash: %v", err)
		}
		want = obj.Digest()
		want.Size++
		if err := Check(ctx, l, "ev", want); !IsIntegrity(err) {
			t.Fatalf("another recorded size: %v", err)
		}
	})
	t.Run("another master key", func(t *testing.T) {
		l := small(t)
		obj, _ := l.Put(ctx, "ev", bytes.NewReader(data(n, 1)), PutOptions{})
		other := *l
		other.master = bytes.Repeat([]byte{1}, 32)
		if err := Check(ctx, &other, "ev", obj.Digest()); !IsIntegrity(err) {
			t.Fatalf("another key: %v", err)
		}
	})
}

// No unauthenticated byte is handed out: a flip in chunk 3 lets chunks
// 0–2 through and nothing of chunk 3.
func TestOnlyAuthenticatedBytesAreRead(t *testing.T) {
	ctx := context.Background()
	l := small(t)
	b := data(5000, 3)
	obj, _ := l.Put(ctx, "ev", bytes.NewReader(b), PutOptions{})
	hdrLen := len(header(1024, make([]byte, saltSize), "ev"))
	rewriteObject(t, l.Path("ev"), flip(hdrLen+3*(1024+tagSize)+7))
	rc, _ := l.Open(ctx, "ev", obj.Digest())
	got, err := io.ReadAll(rc)
	rc.Close()
	if !IsIntegrity(err) || len(got) != 3*1024 || !bytes.Equal(got, b[:3*1024]) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
}

func flip(i int) func([]byte) []byte {
	return func(raw []byte) []byte {
		out := bytes.Clone(raw)
		out[i] ^= 0x01
		return out
	}
}

func rewriteObject(t *testing.T, path string, change func([]byte) []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o600)
	if err := os.WriteFile(path, change(raw), 0o600); err != nil {
		t.Fatal(err)
	}
}

func FuzzOpenStream(f *testing.F) {
	l := small(f)
	plain := data(3000, 1)
	obj, _ := l.Put(context.Background(), "ev", bytes.NewReader(plain), PutOptions{})
	raw, _ := os.ReadFile(l.Path("ev"))
	f.Add(raw)
	f.Add(raw[:60])
	f.Add([]byte("KUBUBLOB\x01\x00\x00\x04\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := openStream(master, "ev", bytes.NewReader(b), obj.Digest())
		if err != nil {
			if !IsIntegrity(err) {
				t.Fatalf("header error is not an integrity error: %v", err)
			}
			return
		}
		got, err := io.ReadAll(r)
		if err == nil && !bytes.Equal(got, plain) {
			t.Fatal("other bytes than the stored ones read back without an integrity error")
		}
		if err != nil && !IsIntegrity(err) {
			t.Fatalf("read error is not an integrity error: %v", err)
		}
	})
}
