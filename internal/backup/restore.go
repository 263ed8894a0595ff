package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxManifest bounds the manifest's size.
const MaxManifest = 64 << 20

// RestoreOptions say where and how to restore.
type RestoreOptions struct {
	// DataDir must be missing or empty.
	DataDir string
	// Passphrase opens a wrapped key.
	Passphrase []byte
}

// ErrNotEmpty means the target data dir already holds something.
var ErrNotEmpty = errors.New("the data dir is not empty: restore only into a new or empty data dir")

// Restore unpacks the archive read from r into o.DataDir. Every file is
// checked against the manifest (size and SHA-256; nothing missing, nothing
// extra) in a staging folder before anything is put in place; on any
// error the data dir is left as it was found (empty).
func Restore(ctx context.Context, r io.Reader, o RestoreOptions) (Manifest, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return Manifest{}, err
	}
	ents, err := os.ReadDir(o.DataDir)
	if err != nil {
		return Manifest{}, err
	}
	if len(ents) > 0 {
		return Manifest{}, ErrNotEmpty
	}
	stage, err := os.MkdirTemp(o.DataDir, ".restore-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(stage)
	m, err := unpack(ctx, r, stage)
	if err != nil {
		return Manifest{}, err
	}
	if m.SecretKey == KeyWrapped {
		b, err := os.ReadFile(filepath.Join(stage, WrappedKeyName))
		if err != nil {
			return Manifest{}, err
		}
		if o.Passphrase == nil {
			return Manifest{}, errors.New("the secret key in this backup is wrapped: give the passphrase (--passphrase-file or KUBU_BACKUP_PASSPHRASE)")
		}
		key, err := UnwrapKey(b, o.Passphrase)
		if err != nil {
			return Manifest{}, err
		}
		if err := os.WriteFile(filepath.Join(stage, KeyName), key, 0o600); err != nil {
			return Manifest{}, err
		}
		os.Remove(filepath.Join(stage, WrappedKeyName))
	}
	// Everything checked: move into place.
	ents, err = os.ReadDir(stage)
	if err != nil {
		return Manifest{}, err
	}
	for _, e := range ents {
		if err := os.Rename(filepath.Join(stage, e.Name()), filepath.Join(o.DataDir, e.Name())); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

// unpack extracts the archive into dir, hashing each file, and checks the
// files against the manifest (the last entry).
func unpack(ctx context.Context, r io.Reader, dir string) (Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("not a kubu backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]File{}
	var manifest []byte
	for {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("reading the backup: %w", err)
		}
		if manifest != nil {
			return Manifest{}, fmt.Errorf("backup: %s after the manifest", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			return Manifest{}, fmt.Errorf("backup: %s is not a regular file", h.Name)
		}
		if h.Name == ManifestName {
			if h.Size > MaxManifest {
				return Manifest{}, errors.New("backup: manifest too large")
			}
			if manifest, err = io.ReadAll(tr); err != nil {
				return Manifest{}, err
			}
			continue
		}
		if err := checkPath(h.Name); err != nil {
			return Manifest{}, fmt.Errorf("backup: %w", err)
		}
		if _, dup := got[h.Name]; dup {
			return Manifest{}, fmt.Errorf("backup: %s twice", h.Name)
		}
		f, err := extract(tr, dir, h.Name)
		if err != nil {
			return Manifest{}, err
		}
		got[h.Name] = f
	}
	if manifest == nil {
		return Manifest{}, errors.New("backup: no manifest (the archive is cut short or not a kubu backup)")
	}
	m, err := ParseManifest(manifest)
	if err != nil {
		return Manifest{}, err
	}
	for _, want := range m.Files {
		f, ok := got[want.Path]
		switch {
		case !ok:
			return Manifest{}, fmt.Errorf("backup: %s is in the manifest but not in the archive", want.Path)
		case f != want:
			return Manifest{}, fmt.Errorf("backup: %s does not match the manifest (size %d sha256 %s, manifest %d %s)", want.Path, f.Size, f.SHA256, want.Size, want.SHA256)
		}
		delete(got, want.Path)
	}
	for p := range got {
		return Manifest{}, fmt.Errorf("backup: %s is not in the manifest", p)
	}
	return m, nil
}

func extract(r io.Reader, dir, name string) (File, error) {
	dst := filepath.Join(dir, filepath.FromSlash(name))
	if !strings.HasPrefix(dst, dir+string(filepath.Separator)) {
		return File{}, fmt.Errorf("backup: bad path %q", name)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return File{}, err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("backup: %s: %w", name, err)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
