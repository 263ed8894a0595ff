package blob

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The object format:
//
//	header: "KUBUBLOB" | version (1 byte, 1) | chunk size (4 bytes BE) | salt (32) | id length (1) | id
//	chunks: AES-256-GCM(plaintext of chunk size bytes) … final chunk (shorter, maybe empty, last flag set)
const (
	magic        = "KUBUBLOB"
	version      = 1
	saltSize     = 32
	tagSize      = 16
	DefaultChunk = 64 << 10
	maxChunk     = 16 << 20
)

func header(chunk int, salt []byte, id string) []byte {
	h := make([]byte, 0, len(magic)+1+4+saltSize+1+len(id))
	h = append(h, magic...)
	h = append(h, version)
	h = binary.BigEndian.AppendUint32(h, uint32(chunk))
	h = append(h, salt...)
	h = append(h, byte(len(id)))
	return append(h, id...)
}

// readHeader reads and checks an object header.
func readHeader(r io.Reader, id string) (hdr []byte, chunk int, salt []byte, err error) {
	fixed := make([]byte, len(magic)+1+4+saltSize+1)
	if _, err := io.ReadFull(r, fixed); err != nil {
		return nil, 0, nil, &IntegrityError{id, "the object header is truncated"}
	}
	if string(fixed[:len(magic)]) != magic || fixed[len(magic)] != version {
		return nil, 0, nil, &IntegrityError{id, "the object header is not a kubu blob header"}
	}
	chunk = int(binary.BigEndian.Uint32(fixed[len(magic)+1:]))
	if chunk <= 0 || chunk > maxChunk {
		return nil, 0, nil, &IntegrityError{id, "the object header has a bad chunk size"}
	}
	salt = fixed[len(magic)+5 : len(magic)+5+saltSize]
	idb := make([]byte, fixed[len(fixed)-1])
	if _, err := io.ReadFull(r, idb); err != nil || string(idb) != id {
		return nil, 0, nil, &IntegrityError{id, "the object header names another object (moved or swapped)"}
	}
	return append(fixed, idb...), chunk, salt, nil
}

func objectAEAD(master, salt []byte, id string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, master, salt, "kubu/evidence/blob/v1/"+id, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func nonce(n []byte, counter uint32, last bool) []byte {
	clear(n)
	binary.BigEndian.PutUint32(n[7:11], counter)
	if last {
		n[11] = 1
	}
	return n
}

// sealer encrypts a stream chunk by chunk.
type sealer struct {
	w       io.Writer
	aead    cipher.AEAD
	ad      []byte
	buf     []byte // plaintext of the current chunk
	out     []byte
	nonce   []byte
	counter uint32
}

func newSealer(w io.Writer, aead cipher.AEAD, ad []byte, chunk int) *sealer {
	return &sealer{w: w, aead: aead, ad: ad, buf: make([]byte, 0, chunk), out: make([]byte, 0, chunk+tagSize), nonce: make([]byte, 12)}
}

func (s *sealer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(cap(s.buf)-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(s.buf) == cap(s.buf) {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *sealer) flush(last bool) error {
	if s.counter == ^uint32(0) {
		return errors.New("blob: object too large for its chunk size")
	}
	s.out = s.aead.Seal(s.out[:0], nonce(s.nonce, s.counter, last), s.buf, s.ad)
	s.counter++
	s.buf = s.buf[:0]
	_, err := s.w.Write(s.out)
	return err
}

// Close seals the final chunk (shorter than a full one, possibly empty).
func (s *sealer) Close() error { return s.flush(true) }

// opener decrypts and authenticates a stream chunk by chunk; it hands out
// only authenticated bytes and checks the whole object's hash at the end.
type opener struct {
	id      string
	r       io.Reader
	aead    cipher.AEAD
	ad      []byte
	in      []byte
	plain   []byte // authenticated bytes not yet read
	nonce   []byte
	counter uint32
	done    bool
	err     error
	h       interface {
		io.Writer
		Sum([]byte) []byte
	}
	n    int64
	want Digest
}

func (o *opener) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.done {
			o.err = o.finish()
			if o.err == nil {
				o.err = io.EOF
			}
			return 0, o.err
		}
		o.err = o.next()
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

func (o *opener) next() error {
	n, err := io.ReadFull(o.r, o.in[:cap(o.in)])
	last := false
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		last = true
	case err != nil:
		return err
	}
	if n == 0 {
		return &IntegrityError{o.id, fmt.Sprintf("truncated: the final chunk is missing after chunk %d", o.counter)}
	}
	plain, aerr := o.aead.Open(o.in[:0], nonce(o.nonce, o.counter, last), o.in[:n], o.ad)
	if aerr != nil {
		if !last {
			// A full-size chunk that does not open as an inner chunk may be a
			// final one followed by appended bytes; either way it is not ours.
			return &IntegrityError{o.id, fmt.Sprintf("chunk %d fails authentication (changed, reordered or appended to)", o.counter)}
		}
		return &IntegrityError{o.id, fmt.Sprintf("chunk %d (the last) fails authentication (changed or truncated)", o.counter)}
	}
	o.counter++
	o.h.Write(plain)
	o.n += int64(len(plain))
	o.plain = plain
	o.done = last
	return nil
}

func (o *opener) finish() error {
	if o.want.SHA256 != "" {
		if o.n != o.want.Size {
			return &IntegrityError{o.id, fmt.Sprintf("%d bytes read, %d recorded at intake", o.n, o.want.Size)}
		}
		if got := fmt.Sprintf("%x", o.h.Sum(nil)); got != o.want.SHA256 {
			return &IntegrityError{o.id, fmt.Sprintf("SHA-256 %s, %s recorded at intake", got, o.want.SHA256)}
		}
	}
	return nil
}
