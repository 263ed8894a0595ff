// Package backup writes and restores kubu's backup archives: one tar.gz
// holding a consistent snapshot of the SQLite database (VACUUM INTO, taken
// while kubu serves), the master secret (optionally wrapped with a
// passphrase), the evidence blobs, optionally the embedded event log, and
// last a manifest with every file's size and SHA-256. Restore unpacks into
// an empty data dir and checks every file against the manifest before
// anything is put in place. The package knows the data dir's layout but
// nothing else of kubu.
package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Format names the archive format in the manifest.
const Format = "kubu-backup/1"

// ManifestName is the manifest's name in the archive; it is the last entry.
const ManifestName = "manifest.json"

// How the master secret is kept in an archive.
const (
	KeyPlain   = "plain"   // secret.key as in the data dir
	KeyWrapped = "wrapped" // secret.key.wrapped: AES-256-GCM under an argon2id key from a passphrase
	KeyAbsent  = "absent"  // left out (--no-key): the restorer brings KUBU_SECRET_KEY
)

// Names of the files in an archive (and in the data dir).
const (
	DBName         = "kubu.db"
	KeyName        = "secret.key"
	WrappedKeyName = "secret.key.wrapped"
	EvidenceDir    = "evidence"
	EventsDir      = "jetstream"
)

// File is one file of the archive.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes an archive.
type Manifest struct {
	Format      string    `json:"format"`
	CreatedAt   time.Time `json:"created_at"`
	KubuVersion string    `json:"kubu_version"`
	// Database is "sqlite" when kubu.db is in the archive, "" for a
	// files-only backup (PostgreSQL: the database is backed up with
	// pg_dump).
	Database string `json:"database"`
	// SchemaVersion is the snapshot's migration version (0 without a
	// database).
	SchemaVersion int64 `json:"schema_version,omitempty"`
	// AuditEntries is how many audit entries the snapshot holds: a restore
	// must verify exactly that many.
	AuditEntries int64  `json:"audit_entries,omitempty"`
	SecretKey    string `json:"secret_key"`
	Events       bool   `json:"events"`
	Files        []File `json:"files"`
}

// ParseManifest reads and checks a manifest.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	if dec.More() {
		return Manifest{}, errors.New("manifest: trailing data")
	}
	if m.Format != Format {
		return Manifest{}, fmt.Errorf("manifest: format %q, this kubu reads %q", m.Format, Format)
	}
	switch m.SecretKey {
	case KeyPlain, KeyWrapped, KeyAbsent:
	default:
		return Manifest{}, fmt.Errorf("manifest: secret_key %q", m.SecretKey)
	}
	if m.Database != "" && m.Database != "sqlite" {
		return Manifest{}, fmt.Errorf("manifest: database %q", m.Database)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkPath(f.Path); err != nil {
			return Manifest{}, fmt.Errorf("manifest: %w", err)
		}
		if seen[f.Path] {
			return Manifest{}, fmt.Errorf("manifest: %s listed twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
			return Manifest{}, fmt.Errorf("manifest: %s: bad size or sha256", f.Path)
		}
	}
	if (m.Database == "sqlite") != seen[DBName] {
		return Manifest{}, errors.New("manifest: database and kubu.db disagree")
	}
	wantKey := map[string]string{KeyPlain: KeyName, KeyWrapped: WrappedKeyName}[m.SecretKey]
	for _, k := range []string{KeyName, WrappedKeyName} {
		if seen[k] != (k == wantKey) {
			return Manifest{}, fmt.Errorf("manifest: secret_key %s and the files listed disagree", m.SecretKey)
		}
	}
	return m, nil
}

// checkPath accepts only the names a backup holds: kubu.db, the key, and
// relative paths under evidence/ and jetstream/ without "." or ".."
// elements.
func checkPath(p string) error {
	switch p {
	case DBName, KeyName, WrappedKeyName:
		return nil
	}
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p {
		return fmt.Errorf("bad path %q", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." || el == "" {
			return fmt.Errorf("bad path %q", p)
		}
	}
	top, _, ok := strings.Cut(p, "/")
	if !ok || (top != EvidenceDir && top != EventsDir) {
		return fmt.Errorf("unexpected path %q", p)
	}
	return nil
}
