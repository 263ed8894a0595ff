// Package witness lets kubu installations cosign each other's audit logs
// (C2SP tlog-witness and tlog-cosignature v1): a witness keeps, per log it
// follows, the last tree it cosigned, and cosigns a new checkpoint only when
// an RFC 9162 consistency proof shows the new tree extends that one. A log
// rolled back or rewritten is refused by every witness, outside the
// installation that was attacked.
//
// The package depends on nothing else in kubu but the offline audit package
// tlog.
package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cosignatureType is the signed-note key type of an Ed25519 cosignature/v1.
const cosignatureType = 0x04

func keyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', cosignatureType})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n") && !strings.ContainsRune(name, '\u2014')
}

// Cosigner signs cosignatures with a witness key.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	id   uint32
}

// NewCosigner returns a cosigner named name (e.g. "kubu.moh.gov.sg/witness").
func NewCosigner(name string, key ed25519.PrivateKey) (*Cosigner, error) {
	if !validName(name) {
		return nil, fmt.Errorf("witness: bad key name %q", name)
	}
	return &Cosigner{name: name, key: key, id: keyID(name, key.Public().(ed25519.PublicKey))}, nil
}

// Key is the cosigner's public key.
func (c *Cosigner) Key() *Key {
	pub := c.key.Public().(ed25519.PublicKey)
	return &Key{Name: c.name, Pub: pub, id: c.id}
}

// Cosign returns the cosignature line ("— name base64\n") of a checkpoint
// body at time t (whole seconds).
func (c *Cosigner) Cosign(body string, t time.Time) string {
	ts := uint64(t.Unix())
	sig := ed25519.Sign(c.key, message(body, ts))
	raw := make([]byte, 0, 4+8+ed25519.SignatureSize)
	raw = binary.BigEndian.AppendUint32(raw, c.id)
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, sig...)
	return "\u2014 " + c.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

func message(body string, ts uint64) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + body)
}

// Key is a witness's public key.
type Key struct {
	Name string
	Pub  ed25519.PublicKey
	id   uint32
}

// String is the verifier key "name+<8 hex>+base64(0x04 || key)".
func (k *Key) String() string {
	return fmt.Sprintf("%s+%08x+%s", k.Name, k.id, base64.StdEncoding.EncodeToString(append([]byte{cosignatureType}, k.Pub...)))
}

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed")

// ParseKey parses a witness verifier key (see Key.String).
func ParseKey(vkey string) (*Key, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 || !validName(parts[0]) || len(parts[1]) != 8 {
		return nil, fmt.Errorf("%w witness key: want name+hash+key", ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != cosignatureType {
		return nil, fmt.Errorf("%w witness key: not an Ed25519 cosignature/v1 key", ErrMalformed)
	}
	id, err := hex.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w witness key: bad key hash", ErrMalformed)
	}
	k := &Key{Name: parts[0], Pub: ed25519.PublicKey(raw[1:])}
	k.id = keyID(k.Name, k.Pub)
	if binary.BigEndian.Uint32(id) != k.id {
		return nil, fmt.Errorf("%w witness key: the key hash does not match the key", ErrMalformed)
	}
	return k, nil
}

// Cosigned returns, for each of keys that cosigned the signed note msg
// validly, the time it cosigned at. A signature line naming one of keys
// that does not verify is an error (the note is forged or damaged).
func Cosigned(msg []byte, keys []*Key) (map[string]time.Time, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 || !bytes.HasSuffix(msg, []byte("\n")) {
		return nil, fmt.Errorf("%w note: no signature block", ErrMalformed)
	}
	body, sigs := string(msg[:i+1]), string(msg[i+2:])
	out := map[string]time.Time{}
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		if !ok {
			return nil, fmt.Errorf("%w note: bad signature line", ErrMalformed)
		}
		name, b64, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("%w note: bad signature line", ErrMalformed)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) < 4 {
			return nil, fmt.Errorf("%w note: bad signature line", ErrMalformed)
		}
		for _, k := range keys {
			if k.Name != name || binary.BigEndian.Uint32(raw) != k.id {
				continue
			}
			if len(raw) != 4+8+ed25519.SignatureSize {
				return nil, fmt.Errorf("witness %s: cosignature of the wrong length", name)
			}
			ts := binary.BigEndian.Uint64(raw[4:12])
			if ts == 0 || ts >= 1<<63 || !ed25519.Verify(k.Pub, message(body, ts), raw[12:]) {
				return nil, fmt.Errorf("witness %s: the cosignature does not verify", name)
			}
			out[name] = time.Unix(int64(ts), 0).UTC()
		}
	}
	return out, nil
}
