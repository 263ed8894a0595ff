// Package node names this kubu process among the nodes sharing one
// database: leases, hunt and scan claims are held by a node id, so two
// processes must never share one. An id is random at start; it is kept in
// the data dir (and taken back by the next process on that data dir, so a
// restarted node retakes its leases at once) only while this process holds
// the data dir's exclusive lock. Two nodes with the same hostname and data
// path, or a command run while `kubu serve` holds the data dir, get ids of
// their own.
package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBusy means another process holds the data dir's node lock.
var ErrBusy = errors.New("node: data dir held by another process")

const (
	lockFile = "node.lock"
	idFile   = "node-id"
)

// Identity is this process's node id and, when it holds the data dir's
// lock, the lock (released by Close).
type Identity struct {
	ID string
	// Persistent reports that the id is the data dir's, kept across
	// restarts; false means a random id for this process only.
	Persistent bool
	release    func()
}

// Close releases the data dir's lock, if held.
func (n *Identity) Close() {
	if n != nil && n.release != nil {
		n.release()
		n.release = nil
	}
}

// Identify returns this process's node id for dataDir: the one kept in
// dataDir/node-id when the data dir's lock is free (creating it the first
// time), else a fresh random id.
func Identify(dataDir string) (*Identity, error) {
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("node: data dir: %w", err)
	}
	release, err := lock(filepath.Join(dataDir, lockFile))
	if errors.Is(err, ErrBusy) {
		return &Identity{ID: newID(host)}, nil
	}
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, idFile)
	b, err := os.ReadFile(path)
	if err == nil && validID(strings.TrimSpace(string(b))) {
		return &Identity{ID: strings.TrimSpace(string(b)), Persistent: true, release: release}, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		release()
		return nil, fmt.Errorf("node: read %s: %w", path, err)
	}
	id := newID(host)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		release()
		return nil, fmt.Errorf("node: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		release()
		return nil, fmt.Errorf("node: keep node id: %w", err)
	}
	return &Identity{ID: id, Persistent: true, release: release}, nil
}

// newID is the hostname (for people reading leases) and 64 random bits.
func newID(host string) string {
	var b [8]byte
	rand.Read(b[:])
	if len(host) > 64 {
		host = host[:64]
	}
	return host + "/" + hex.EncodeToString(b[:])
}

func validID(s string) bool {
	i := strings.LastIndexByte(s, '/')
	return i > 0 && len(s)-i-1 == 16 && len(s) <= 200
}
