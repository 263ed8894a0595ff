package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Origin is the first line of every kubu audit checkpoint.
const Origin = "kubu audit log"

// Checkpoint is a tree head in the C2SP tlog-checkpoint format:
//
//	<origin>
//	<tree size, decimal>
//	<root hash, base64>
//	[extension lines]
//
// kubu writes one extension line: the signing time in Unix milliseconds.
type Checkpoint struct {
	Origin     string
	Size       uint64
	Root       []byte
	Extensions []string
}

// Body is the exact text a checkpoint signature covers.
func (c Checkpoint) Body() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root))
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed")

// ParseBody parses a checkpoint body (a note's text, without signatures).
func ParseBody(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("%w checkpoint: does not end with a newline", ErrMalformed)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w checkpoint: want origin, tree size and root hash lines, got %d lines", ErrMalformed, len(lines))
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return Checkpoint{}, fmt.Errorf("%w checkpoint: empty origin", ErrMalformed)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || (lines[1] != "0" && strings.HasPrefix(lines[1], "0")) || size > 1<<62 {
		return Checkpoint{}, fmt.Errorf("%w checkpoint: tree size %q is not a decimal number", ErrMalformed, lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return Checkpoint{}, fmt.Errorf("%w checkpoint: root hash %q is not 32 bytes of base64", ErrMalformed, lines[2])
	}
	c.Root = root
	for _, e := range lines[3:] {
		if e == "" {
			return Checkpoint{}, fmt.Errorf("%w checkpoint: empty extension line", ErrMalformed)
		}
		c.Extensions = append(c.Extensions, e)
	}
	return c, nil
}

// Sign signs a note body with signer and returns the signed note.
func Sign(body string, signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: body}, signer)
}

// SignatureError says a signed note is not signed by the expected key.
type SignatureError struct {
	KeyName     string
	Fingerprint string
	Reason      string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%s (expected a signature by key %s %s)", e.Reason, e.KeyName, e.Fingerprint)
}

// Open checks that msg is a signed note carrying a valid signature by key
// and returns its text. Other signatures (e.g. witnesses' cosignatures)
// are allowed and ignored.
func Open(msg []byte, key *PublicKey) (string, error) {
	n, err := note.Open(msg, note.VerifierList(key.verifier))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		switch {
		case errors.As(err, &inv):
			return "", &SignatureError{key.Name, key.Fingerprint(), "the signature does not verify (the text was altered or signed by another key)"}
		case errors.As(err, &unv):
			return "", &SignatureError{key.Name, key.Fingerprint(), "not signed by the expected key"}
		}
		return "", fmt.Errorf("%w signed note: %v", ErrMalformed, err)
	}
	return n.Text, nil
}

// OpenCheckpoint checks a signed checkpoint against key and parses it.
func OpenCheckpoint(msg []byte, key *PublicKey) (Checkpoint, error) {
	text, err := Open(msg, key)
	if err != nil {
		return Checkpoint{}, err
	}
	return ParseBody(text)
}

// SplitNote returns the text of a signed note without checking signatures
// (for showing what an unverifiable note claims).
func SplitNote(msg []byte) (string, bool) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return "", false
	}
	return string(msg[:i+1]), true
}
