package blob

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Resumable uploads, in the manner of tus (tus.io): Begin opens an upload,
// Append adds bytes at the offset the store reports (bytes received before a
// connection drops are kept), Offset tells a client where to resume, Finish
// turns the upload into an immutable object exactly as Put would have.
//
// Between requests an upload is two files in uploads/: ID.part holds the
// object header and the sealed full chunks so far; ID.state holds the
// offset, the three hash states and the last, partial chunk, itself sealed
// (nothing of the evidence is ever at rest unencrypted). State is replaced
// atomically after the part file is synced, so a crash loses at most the
// bytes of the request in flight, and the part file is cut back to the
// length the state records.

// Errors of resumable uploads.
var (
	ErrOffset         = errors.New("blob: the upload is not at that offset")
	ErrUploadNotFound = errors.New("blob: no such upload")
)

// Resumable is a Store that also takes uploads in pieces.
type Resumable interface {
	Store
	Begin(ctx context.Context, id string, opts PutOptions) error
	Offset(ctx context.Context, id string) (int64, error)
	Append(ctx context.Context, id string, offset int64, r io.Reader) (int64, error)
	Finish(ctx context.Context, id string) (Object, error)
	Abort(ctx context.Context, id string) error
}

type uploadState struct {
	Offset  int64  `json:"offset"`   // plaintext bytes received
	PartLen int64  `json:"part_len"` // bytes of ID.part that are valid
	Counter uint32 `json:"counter"`  // sealed chunks so far
	Max     int64  `json:"max,omitempty"`
	Hashes  []byte `json:"hashes"` // sha256, sha1, md5 states, each length-prefixed
	Tail    []byte `json:"tail"`   // the partial chunk, sealed with the tail key
}

// locks serialises requests on one upload within this process.
var uploadLocks sync.Map

func (l *Local) lockUpload(id string) func() {
	m, _ := uploadLocks.LoadOrStore(l.dir+"\x00"+id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func (l *Local) uploadPath(id, ext string) string { return filepath.Join(l.dir, "uploads", id+ext) }

// Begin opens an upload for object id.
func (l *Local) Begin(ctx context.Context, id string, opts PutOptions) error {
	if err := validID(id); err != nil {
		return err
	}
	defer l.lockUpload(id)()
	if _, err := os.Lstat(l.Path(id)); err == nil {
		return ErrExists
	}
	if err := os.MkdirAll(filepath.Join(l.dir, "uploads"), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(l.uploadPath(id, ".part"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	salt := make([]byte, saltSize)
	rand.Read(salt)
	hdr := header(l.chunk, salt, id)
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	st := uploadState{PartLen: int64(len(hdr)), Max: opts.MaxSize}
	hs := []hash.Hash{sha256.New(), sha1.New(), md5.New()}
	if err := l.saveState(id, salt, &st, hs, nil); err != nil {
		os.Remove(l.uploadPath(id, ".part"))
		return err
	}
	return nil
}

// Offset reports how many bytes the upload holds.
func (l *Local) Offset(ctx context.Context, id string) (int64, error) {
	if err := validID(id); err != nil {
		return 0, err
	}
	defer l.lockUpload(id)()
	u, err := l.loadState(id)
	return u.Offset, err
}

// Append adds r at offset, which must be the upload's offset. It keeps
// every byte received, even when r fails part way (a dropped connection),
// and returns the new offset.
func (l *Local) Append(ctx context.Context, id string, offset int64, r io.Reader) (int64, error) {
	if err := validID(id); err != nil {
		return 0, err
	}
	defer l.lockUpload(id)()
	u, err := l.loadState(id)
	if err != nil {
		return 0, err
	}
	st, salt, hs, tail, chunk := &u.uploadState, u.salt, u.hs, u.tail, u.chunk
	if offset != st.Offset {
		return st.Offset, fmt.Errorf("%w: it is at %d, not %d", ErrOffset, st.Offset, offset)
	}
	f, err := os.OpenFile(l.uploadPath(id, ".part"), os.O_WRONLY, 0)
	if err != nil {
		return st.Offset, err
	}
	defer f.Close()
	if err := f.Truncate(st.PartLen); err != nil { // drop what a crash left beyond the state
		return st.Offset, err
	}
	if _, err := f.Seek(st.PartLen, io.SeekStart); err != nil {
		return st.Offset, err
	}
	aead, err := objectAEAD(l.master, salt, id)
	if err != nil {
		return st.Offset, err
	}
	cw := &countWriter{w: bufio.NewWriterSize(f, 256<<10)}
	seal := newSealer(cw, aead, header(chunk, salt, id), chunk)
	seal.buf = append(seal.buf, tail...)
	seal.counter = st.Counter
	var src io.Reader = &ctxReader{ctx: ctx, r: r}
	if st.Max > 0 {
		src = io.LimitReader(src, st.Max-st.Offset+1)
	}
	n, rerr := io.CopyBuffer(io.MultiWriter(seal, hs[0], hs[1], hs[2]), src, make([]byte, 64<<10))
	if st.Max > 0 && st.Offset+n > st.Max {
		return st.Offset, fmt.Errorf("%w (%d bytes)", ErrTooLarge, st.Max)
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return st.Offset, err
	}
	if err := f.Sync(); err != nil {
		return st.Offset, err
	}
	st.Offset += n
	st.PartLen += cw.n
	st.Counter = seal.counter
	if err := l.saveState(id, salt, st, hs, seal.buf); err != nil {
		return offset, err
	}
	if rerr != nil && !errors.Is(rerr, context.Canceled) {
		return st.Offset, fmt.Errorf("blob: upload %s interrupted at %d (resume there): %w", id, st.Offset, rerr)
	}
	return st.Offset, rerr
}

// Finish seals the last chunk and makes the upload object id.
func (l *Local) Finish(ctx context.Context, id string) (Object, error) {
	if err := validID(id); err != nil {
		return Object{}, err
	}
	defer l.lockUpload(id)()
	u, err := l.loadState(id)
	if err != nil {
		return Object{}, err
	}
	st, salt, hs, tail, chunk := &u.uploadState, u.salt, u.hs, u.tail, u.chunk
	part := l.uploadPath(id, ".part")
	f, err := os.OpenFile(part, os.O_WRONLY, 0)
	if err != nil {
		return Object{}, err
	}
	defer f.Close()
	if err := f.Truncate(st.PartLen); err != nil {
		return Object{}, err
	}
	if _, err := f.Seek(st.PartLen, io.SeekStart); err != nil {
		return Object{}, err
	}
	aead, err := objectAEAD(l.master, salt, id)
	if err != nil {
		return Object{}, err
	}
	seal := newSealer(f, aead, header(chunk, salt, id), chunk)
	seal.buf = append(seal.buf, tail...)
	seal.counter = st.Counter
	if err := seal.Close(); err != nil {
		return Object{}, err
	}
	if err := f.Chmod(0o400); err != nil {
		return Object{}, err
	}
	if err := f.Sync(); err != nil {
		return Object{}, err
	}
	final := l.Path(id)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Object{}, err
	}
	if err := os.Link(part, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return Object{}, ErrExists
		}
		return Object{}, err
	}
	syncDir(filepath.Dir(final))
	os.Remove(l.uploadPath(id, ".state"))
	os.Remove(part)
	return Object{ID: id, Size: st.Offset, SHA256: hex.EncodeToString(hs[0].Sum(nil)), SHA1: hex.EncodeToString(hs[1].Sum(nil)),
		MD5: hex.EncodeToString(hs[2].Sum(nil))}, nil
}

// Abort drops an upload.
func (l *Local) Abort(ctx context.Context, id string) error {
	if err := validID(id); err != nil {
		return err
	}
	defer l.lockUpload(id)()
	if _, err := os.Lstat(l.uploadPath(id, ".state")); err != nil {
		return ErrUploadNotFound
	}
	os.Remove(l.uploadPath(id, ".state"))
	return os.Remove(l.uploadPath(id, ".part"))
}

// tailAEAD seals the partial chunk kept between requests; its key differs
// from the object's, and every save uses a fresh random nonce.
func (l *Local) tailAEAD(salt []byte, id string) (cipher.AEAD, error) {
	return objectAEAD(l.master, salt, id+"/upload-tail")
}

func (l *Local) saveState(id string, salt []byte, st *uploadState, hs []hash.Hash, tail []byte) error {
	st.Hashes = st.Hashes[:0]
	for _, h := range hs {
		b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return err
		}
		st.Hashes = append(st.Hashes, byte(len(b)))
		st.Hashes = append(st.Hashes, b...)
	}
	aead, err := l.tailAEAD(salt, id)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	st.Tail = aead.Seal(nonce, nonce, tail, []byte(fmt.Sprintf("%s/%d", id, st.Offset)))
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := l.uploadPath(id, ".state.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if f, err := os.Open(tmp); err == nil {
		f.Sync()
		f.Close()
	}
	if err := os.Rename(tmp, l.uploadPath(id, ".state")); err != nil {
		return err
	}
	syncDir(filepath.Join(l.dir, "uploads"))
	return nil
}

// upload is an upload's state as loaded.
type upload struct {
	uploadState
	salt  []byte
	chunk int
	hs    []hash.Hash
	tail  []byte
}

func (l *Local) loadState(id string) (upload, error) {
	st, salt, chunk, hs, tail, err := l.readState(id)
	return upload{uploadState: st, salt: salt, chunk: chunk, hs: hs, tail: tail}, err
}

func (l *Local) readState(id string) (uploadState, []byte, int, []hash.Hash, []byte, error) {
	var st uploadState
	b, err := os.ReadFile(l.uploadPath(id, ".state"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil, 0, nil, nil, ErrUploadNotFound
	}
	if err != nil {
		return st, nil, 0, nil, nil, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, nil, 0, nil, nil, &IntegrityError{id, "the upload's state is unreadable"}
	}
	pf, err := os.Open(l.uploadPath(id, ".part"))
	if err != nil {
		return st, nil, 0, nil, nil, err
	}
	_, chunk, salt, err := readHeader(bufio.NewReader(pf), id)
	pf.Close()
	if err != nil {
		return st, nil, 0, nil, nil, err
	}
	hs := []hash.Hash{sha256.New(), sha1.New(), md5.New()}
	rest := st.Hashes
	for _, h := range hs {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return st, nil, 0, nil, nil, &IntegrityError{id, "the upload's hash state is damaged"}
		}
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(rest[1 : 1+int(rest[0])]); err != nil {
			return st, nil, 0, nil, nil, &IntegrityError{id, "the upload's hash state is damaged"}
		}
		rest = rest[1+int(rest[0]):]
	}
	aead, err := l.tailAEAD(salt, id)
	if err != nil {
		return st, nil, 0, nil, nil, err
	}
	ns := aead.NonceSize()
	if len(st.Tail) < ns {
		return st, nil, 0, nil, nil, &IntegrityError{id, "the upload's pending bytes are damaged"}
	}
	tail, err := aead.Open(nil, st.Tail[:ns], st.Tail[ns:], []byte(fmt.Sprintf("%s/%d", id, st.Offset)))
	if err != nil || len(tail) >= chunk {
		return st, nil, 0, nil, nil, &IntegrityError{id, "the upload's pending bytes fail authentication"}
	}
	return st, salt, chunk, hs, tail, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
