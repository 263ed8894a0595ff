// Package blob stores evidence bytes: streamed in with bounded memory,
// hashed at intake (SHA-256, SHA-1, MD5), encrypted at rest, written once and
// never overwritten, and re-hashed on every read.
//
// Objects are encrypted with chunked AES-256-GCM in the STREAM construction
// (Hoang, Reyhanitabar, Rogaway, Vizár 2015): each object has its own key,
// derived with HKDF-SHA256 from the store's master key, a random salt and the
// object id; chunk i is sealed with the nonce 0⁷ ‖ i (32 bits) ‖ last-flag
// (1 byte) and the object header as additional data. A changed bit, a
// reordered, dropped or repeated chunk, a truncated object (the final chunk
// is marked), an object moved to another id or a changed header all fail
// authentication; the caller's recorded SHA-256 and size are checked again at
// the end. Every such failure is an *IntegrityError.
//
// The package depends on nothing else in kubu; the evidence service hands it
// a master key derived from kubu's key ring.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// Store is where evidence objects live. Local is the data-dir store; an
// S3-compatible store can implement the same interface.
type Store interface {
	// Put streams r into a new object named id. It fails with ErrExists when
	// id is taken (objects are immutable) and ErrTooLarge past opts.MaxSize;
	// nothing is left behind on failure.
	Put(ctx context.Context, id string, r io.Reader, opts PutOptions) (Object, error)
	// Open returns a reader of the object's bytes. Every byte it hands out
	// was authenticated; a failed check, and at the end a SHA-256 or size
	// other than want's, is an *IntegrityError from Read.
	Open(ctx context.Context, id string, want Digest) (io.ReadCloser, error)
}

// PutOptions limits an upload.
type PutOptions struct {
	MaxSize int64 // bytes; 0 means no limit
}

// Digest is what a read must hash to. The zero Digest checks nothing but
// the encryption's authentication; with SHA256 set, the size is checked too.
type Digest struct {
	SHA256 string // lower-case hex
	Size   int64
}

// Object is a stored object and the hashes taken at intake.
type Object struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	SHA1   string `json:"sha1"`
	MD5    string `json:"md5"`
}

// Digest is what reads of the object must hash to.
func (o Object) Digest() Digest { return Digest{SHA256: o.SHA256, Size: o.Size} }

// Errors.
var (
	ErrExists   = errors.New("blob: an object with this id exists (objects are immutable)")
	ErrNotFound = errors.New("blob: no such object")
	ErrTooLarge = errors.New("blob: larger than the configured limit")
	ErrBadID    = errors.New("blob: object ids are 1 to 128 of a-z, 0-9, '-' and '_'")
)

// IntegrityError says a stored object is not what was stored.
type IntegrityError struct {
	ID     string
	Reason string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("blob %s: integrity check failed: %s", e.ID, e.Reason)
}

// IsIntegrity reports whether err is (or wraps) an *IntegrityError.
func IsIntegrity(err error) bool {
	var ie *IntegrityError
	return errors.As(err, &ie)
}

// Check reads the whole object once and returns its integrity error, if
// any. Callers that answer before sending (an HTTP 409) check first, then
// stream.
func Check(ctx context.Context, s Store, id string, want Digest) error {
	rc, err := s.Open(ctx, id, want)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.CopyBuffer(io.Discard, rc, make([]byte, 64<<10))
	return err
}

var idPattern = regexp.MustCompile(`^[a-z0-9_-]{1,128}$`)

func validID(id string) error {
	if !idPattern.MatchString(id) {
		return ErrBadID
	}
	return nil
}
