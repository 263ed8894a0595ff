package witness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// Log is a log a witness follows: its origin and the key it signs with.
type Log struct {
	Origin string
	Key    *tlog.PublicKey
}

// State keeps, per origin, the last tree a witness cosigned. Update must be
// atomic: it stores the new tree only if the stored one is still (oldSize,
// oldRoot), else it answers a *ConflictError with the stored size.
type State interface {
	Latest(ctx context.Context, origin string) (size uint64, root []byte, err error)
	Update(ctx context.Context, origin string, oldSize uint64, oldRoot []byte, size uint64, root []byte) error
}

// Errors AddCheckpoint answers, with the HTTP status tlog-witness gives them.
var (
	ErrBadRequest = errors.New("witness: malformed request")                                    // 400
	ErrForbidden  = errors.New("witness: not signed by the log's key")                          // 403
	ErrUnknownLog = errors.New("witness: unknown log")                                          // 404
	ErrBadProof   = errors.New("witness: the consistency proof does not verify")                // 422
	ErrForked     = errors.New("witness: same size as the cosigned tree but another root hash") // 409
)

// ConflictError says the witness last cosigned another size than the
// request's old size (409, body the size).
type ConflictError struct{ Size uint64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: the latest cosigned tree has size %d", e.Size)
}

// Witness cosigns the checkpoints of the logs it follows.
type Witness struct {
	cos   *Cosigner
	logs  map[string]Log
	state State
	now   func() time.Time
}

// New returns a witness following logs.
func New(cos *Cosigner, state State, logs ...Log) *Witness {
	m := map[string]Log{}
	for _, l := range logs {
		m[l.Origin] = l
	}
	return &Witness{cos: cos, logs: m, state: state, now: time.Now}
}

// maxProof is the most consistency proof lines a request may carry.
const maxProof = 63

// ParseRequest parses an add-checkpoint body: "old N", proof lines, an
// empty line, the signed checkpoint.
func ParseRequest(body []byte) (oldSize uint64, proof [][]byte, note []byte, err error) {
	bad := func(why string) (uint64, [][]byte, []byte, error) {
		return 0, nil, nil, fmt.Errorf("%w: %s", ErrBadRequest, why)
	}
	first, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return bad("no old size line")
	}
	n, found := strings.CutPrefix(string(first), "old ")
	size, perr := strconv.ParseUint(n, 10, 64)
	if !found || perr != nil || (n != "0" && strings.HasPrefix(n, "0")) {
		return bad("bad old size line")
	}
	for {
		line, more, ok := bytes.Cut(rest, []byte("\n"))
		if !ok {
			return bad("no empty line before the checkpoint")
		}
		rest = more
		if len(line) == 0 {
			break
		}
		if len(proof) == maxProof {
			return bad("more than 63 proof lines")
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != sha256.Size {
			return bad("a proof line is not a base64 hash")
		}
		proof = append(proof, h)
	}
	return size, proof, rest, nil
}

// Request builds an add-checkpoint body.
func Request(oldSize uint64, proof [][]byte, note []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteByte('\n')
	b.Write(note)
	return b.Bytes()
}

// AddCheckpoint checks a request as tlog-witness says, in its order, and
// returns the cosignature line.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	oldSize, proof, note, err := ParseRequest(body)
	if err != nil {
		return nil, err
	}
	text, ok := tlog.SplitNote(note)
	if !ok {
		return nil, fmt.Errorf("%w: the checkpoint is not a signed note", ErrBadRequest)
	}
	origin, _, _ := strings.Cut(text, "\n")
	l, ok := w.logs[origin]
	if !ok {
		return nil, ErrUnknownLog
	}
	cp, err := tlog.OpenCheckpoint(note, l.Key)
	if err != nil {
		var se *tlog.SignatureError
		if errors.As(err, &se) {
			return nil, ErrForbidden
		}
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if oldSize > cp.Size {
		return nil, fmt.Errorf("%w: old size %d is beyond the checkpoint's %d", ErrBadRequest, oldSize, cp.Size)
	}
	latest, latestRoot, err := w.state.Latest(ctx, origin)
	if err != nil {
		return nil, err
	}
	if oldSize != latest {
		return nil, &ConflictError{Size: latest}
	}
	switch {
	case oldSize == 0:
		if len(proof) != 0 {
			return nil, ErrBadProof
		}
	case oldSize == cp.Size:
		if len(proof) != 0 {
			return nil, ErrBadProof
		}
		if !bytes.Equal(latestRoot, cp.Root) {
			return nil, ErrForked
		}
	default:
		if err := tlog.VerifyConsistency(oldSize, cp.Size, proof, latestRoot, cp.Root); err != nil {
			return nil, ErrBadProof
		}
	}
	if err := w.state.Update(ctx, origin, latest, latestRoot, cp.Size, cp.Root); err != nil {
		return nil, err
	}
	return []byte(w.cos.Cosign(text, w.now())), nil
}

// ServeHTTP answers POST …/add-checkpoint.
func (w *Witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(rw, "cannot read the request", http.StatusBadRequest)
		return
	}
	cosig, err := w.AddCheckpoint(r.Context(), body)
	var ce *ConflictError
	switch {
	case err == nil:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(cosig)
	case errors.As(err, &ce):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", ce.Size)
	case errors.Is(err, ErrBadRequest):
		http.Error(rw, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrForbidden):
		http.Error(rw, err.Error(), http.StatusForbidden)
	case errors.Is(err, ErrUnknownLog):
		http.Error(rw, err.Error(), http.StatusNotFound)
	case errors.Is(err, ErrBadProof):
		http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
	case errors.Is(err, ErrForked):
		http.Error(rw, err.Error(), http.StatusConflict)
	default:
		http.Error(rw, "internal error", http.StatusInternalServerError)
	}
}

// Submit sends a checkpoint with its consistency proof from oldSize to a
// witness at url (its add-checkpoint address) and returns the cosignature
// lines, or a *ConflictError telling the size the witness holds.
func Submit(ctx context.Context, client *http.Client, url string, oldSize uint64, proof [][]byte, note []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(Request(oldSize, proof, note)))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusConflict && resp.Header.Get("Content-Type") == "text/x.tlog.size" {
		s, ok := strings.CutSuffix(string(body), "\n")
		n, err := strconv.ParseUint(s, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("witness %s: bad size answer %q", url, body)
		}
		return nil, &ConflictError{Size: n}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("witness %s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "\u2014 ") {
			return nil, fmt.Errorf("witness %s: the answer is not signature lines", url)
		}
	}
	return body, nil
}
