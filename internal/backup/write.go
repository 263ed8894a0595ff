package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // SQLite driver "sqlite"
)

// Options say what to back up.
type Options struct {
	// DataDir is kubu's data dir.
	DataDir string
	// FilesOnly leaves the database out (PostgreSQL: back it up with
	// pg_dump).
	FilesOnly bool
	// Events adds the embedded event log (DataDir/jetstream). It is copied
	// file by file while kubu may be writing it: NATS recovers it on start
	// as after a crash (events acknowledged after the copy began may be
	// missing, never those counted in the database snapshot).
	Events bool
	// Key is the master secret as secret.key holds it; nil leaves it out.
	Key []byte
	// Passphrase, when set, wraps Key (see WrapKey).
	Passphrase []byte
	// KubuVersion is written into the manifest.
	KubuVersion string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Write writes a backup archive of o.DataDir to w and returns its
// manifest. With a database, the SQLite snapshot is taken first (one read
// transaction: a consistent point even while kubu serves and writes), then
// the evidence objects (written once, before the rows that name them
// commit, so every object the snapshot names is there), then the event log.
func Write(ctx context.Context, w io.Writer, o Options) (Manifest, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	m := Manifest{Format: Format, CreatedAt: now().UTC().Truncate(time.Millisecond), KubuVersion: o.KubuVersion,
		SecretKey: KeyAbsent, Events: o.Events, Files: []File{}}
	tmp, err := os.MkdirTemp(o.DataDir, ".backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)

	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	add := func(name string, r io.Reader, size int64, mod time.Time) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(r, size))
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("%s: read %d bytes, expected %d", name, n, size)
		}
		m.Files = append(m.Files, File{Path: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}
	addBytes := func(name string, b []byte) error {
		return add(name, strings.NewReader(string(b)), int64(len(b)), m.CreatedAt)
	}
	// addStable adds a file that never changes once written (a snapshot, an
	// evidence object).
	addStable := func(name, path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return add(name, f, st.Size(), st.ModTime())
	}
	// addCopy adds a file that may change while it is read: it is copied
	// first, and the copy is archived.
	addCopy := func(name, path string) error {
		src, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the walk (an expired event block)
		}
		if err != nil {
			return err
		}
		defer src.Close()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		dst, err := os.CreateTemp(tmp, "copy-")
		if err != nil {
			return err
		}
		defer os.Remove(dst.Name())
		defer dst.Close()
		n, err := io.Copy(dst, src)
		if err != nil {
			return err
		}
		if _, err := dst.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return add(name, dst, n, st.ModTime())
	}

	if !o.FilesOnly {
		snap := filepath.Join(tmp, DBName)
		entries, version, err := snapshot(ctx, filepath.Join(o.DataDir, DBName), snap)
		if err != nil {
			return Manifest{}, err
		}
		m.Database, m.SchemaVersion, m.AuditEntries = "sqlite", version, entries
		if err := addStable(DBName, snap); err != nil {
			return Manifest{}, err
		}
		os.Remove(snap)
	}
	if o.Key != nil {
		if o.Passphrase != nil {
			wk, err := WrapKey(o.Key, o.Passphrase)
			if err != nil {
				return Manifest{}, err
			}
			m.SecretKey = KeyWrapped
			err = addBytes(WrappedKeyName, wk)
			if err != nil {
				return Manifest{}, err
			}
		} else {
			m.SecretKey = KeyPlain
			if err := addBytes(KeyName, o.Key); err != nil {
				return Manifest{}, err
			}
		}
	}
	// Evidence: objects are written once (streamed as they are); pending
	// resumable uploads change (copied first); tmp/ holds nothing whole.
	err = walkFiles(filepath.Join(o.DataDir, EvidenceDir), func(rel, path string) error {
		switch top, _, _ := strings.Cut(rel, "/"); top {
		case "objects":
			return addStable(EvidenceDir+"/"+rel, path)
		case "uploads":
			return addCopy(EvidenceDir+"/"+rel, path)
		}
		return nil
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup evidence: %w", err)
	}
	if o.Events {
		err = walkFiles(filepath.Join(o.DataDir, EventsDir), func(rel, path string) error {
			return addCopy(EventsDir+"/"+rel, path)
		})
		if err != nil {
			return Manifest{}, fmt.Errorf("backup event log: %w", err)
		}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	// The manifest is last and not listed in itself.
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(mb)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return Manifest{}, err
	}
	if _, err := tw.Write(mb); err != nil {
		return Manifest{}, err
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, err
	}
	return m, gz.Close()
}

// walkFiles calls fn for every regular file under dir, in name order, with
// its slash-separated path relative to dir. A missing dir has no files.
func walkFiles(dir string, fn func(rel, path string) error) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if err := fn(filepath.ToSlash(rel), p); err != nil {
			return err
		}
	}
	return nil
}

// snapshot copies the SQLite database at src into dst with VACUUM INTO:
// one read transaction, so the copy is one consistent point even while
// kubu writes (WAL lets both go on). It returns the snapshot's audit
// entries and schema version, read from the copy.
func snapshot(ctx context.Context, src, dst string) (entries, version int64, err error) {
	if _, err := os.Stat(src); err != nil {
		return 0, 0, fmt.Errorf("no database to back up: %w (for PostgreSQL use pg_dump and --files-only)", err)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return 0, 0, fmt.Errorf("snapshot the database: %w", err)
	}
	snap, err := sql.Open("sqlite", "file:"+dst+"?mode=ro")
	if err != nil {
		return 0, 0, err
	}
	defer snap.Close()
	if err := snap.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&version); err != nil {
		return 0, 0, fmt.Errorf("snapshot: not a kubu database: %w", err)
	}
	if err := snap.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&entries); err != nil {
		return 0, 0, fmt.Errorf("snapshot: %w", err)
	}
	var ok string
	if err := snap.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		return 0, 0, fmt.Errorf("snapshot failed its integrity check: %s %v", ok, err)
	}
	return entries, version, nil
}
