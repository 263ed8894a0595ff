package blob

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Local keeps objects as files under a directory (by default
// DATA/evidence): objects/<first two characters of the id>/<id>, written
// through tmp/ and linked into place, so an object appears whole or not at
// all and is never replaced.
type Local struct {
	dir    string
	master []byte
	chunk  int
}

// NewLocal opens (creating) a store in dir; master is the 32-byte key
// objects' keys are derived from.
func NewLocal(dir string, master []byte) (*Local, error) {
	if len(master) < 32 {
		return nil, errors.New("blob: the master key must be at least 32 bytes")
	}
	for _, d := range []string{dir, filepath.Join(dir, "objects"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return &Local{dir: dir, master: append([]byte(nil), master...), chunk: DefaultChunk}, nil
}

// Path is where object id lives (for operators and tests).
func (l *Local) Path(id string) string {
	return filepath.Join(l.dir, "objects", id[:min(2, len(id))], id)
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, id string, r io.Reader, opts PutOptions) (obj Object, err error) {
	if err := validID(id); err != nil {
		return Object{}, err
	}
	final := l.Path(id)
	if _, err := os.Lstat(final); err == nil {
		return Object{}, ErrExists
	}
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "tmp"), id+".*")
	if err != nil {
		return Object{}, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	salt := make([]byte, saltSize)
	rand.Read(salt)
	hdr := header(l.chunk, salt, id)
	aead, err := objectAEAD(l.master, salt, id)
	if err != nil {
		return Object{}, err
	}
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if _, err := bw.Write(hdr); err != nil {
		return Object{}, err
	}
	seal := newSealer(bw, aead, hdr, l.chunk)
	s256, s1, m5 := sha256.New(), sha1.New(), md5.New()
	var src io.Reader = &ctxReader{ctx: ctx, r: r}
	if opts.MaxSize > 0 {
		src = io.LimitReader(src, opts.MaxSize+1)
	}
	n, err := io.CopyBuffer(io.MultiWriter(seal, s256, s1, m5), src, make([]byte, 64<<10))
	if err != nil {
		return Object{}, fmt.Errorf("blob: upload of %s: %w", id, err)
	}
	if opts.MaxSize > 0 && n > opts.MaxSize {
		return Object{}, fmt.Errorf("%w (%d bytes)", ErrTooLarge, opts.MaxSize)
	}
	if err := seal.Close(); err != nil {
		return Object{}, err
	}
	if err := bw.Flush(); err != nil {
		return Object{}, err
	}
	if err := tmp.Chmod(0o400); err != nil {
		return Object{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Object{}, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Object{}, err
	}
	// A hard link never replaces an existing file: two uploads racing for
	// one id cannot both win.
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return Object{}, ErrExists
		}
		return Object{}, err
	}
	syncDir(filepath.Dir(final))
	return Object{ID: id, Size: n, SHA256: hex.EncodeToString(s256.Sum(nil)), SHA1: hex.EncodeToString(s1.Sum(nil)),
		MD5: hex.EncodeToString(m5.Sum(nil))}, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, id string, want Digest) (io.ReadCloser, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	f, err := os.Open(l.Path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	o, err := openStream(l.master, id, &ctxReader{ctx: ctx, r: bufio.NewReaderSize(f, 128<<10)}, want)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &readCloser{Reader: o, c: f}, nil
}

// openStream reads an object's header from r and returns the reader of its
// authenticated plaintext.
func openStream(master []byte, id string, r io.Reader, want Digest) (io.Reader, error) {
	hdr, chunk, salt, err := readHeader(r, id)
	if err != nil {
		return nil, err
	}
	aead, err := objectAEAD(master, salt, id)
	if err != nil {
		return nil, err
	}
	return &opener{id: id, r: r, aead: aead, ad: hdr, in: make([]byte, 0, chunk+tagSize),
		nonce: make([]byte, 12), h: sha256.New(), want: want}, nil
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r *readCloser) Close() error { return r.c.Close() }

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
