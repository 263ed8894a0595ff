package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/backup"
	"github.com/kubu-gov/kubu/internal/buildinfo"
	"github.com/kubu-gov/kubu/internal/config"
)

// passphrase reads the backup passphrase from --passphrase-file, else
// KUBU_BACKUP_PASSPHRASE, else KUBU_BACKUP_PASSPHRASE_FILE; nil when none
// is given.
func passphrase(e *Env, file string) ([]byte, error) {
	if file == "" {
		if p := e.Getenv("KUBU_BACKUP_PASSPHRASE"); p != "" {
			return []byte(p), nil
		}
		file = e.Getenv("KUBU_BACKUP_PASSPHRASE_FILE")
	}
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("passphrase: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return nil, fmt.Errorf("passphrase file %s is empty", file)
	}
	return []byte(p), nil
}

func runBackup(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "backup")
	config.Common(fs, &cfg, e.Getenv)
	out := fs.String("out", "", "write the backup archive (tar.gz) to FILE, or - for standard output (required)")
	filesOnly := fs.Bool("files-only", false, "leave the database out (PostgreSQL: back it up with pg_dump); the key, evidence and event log only")
	events := fs.Bool("events", false, "also copy the embedded event log (DATA/jetstream)")
	noKey := fs.Bool("no-key", false, "leave the secret key out (it is kept in a secret store; the restore then needs KUBU_SECRET_KEY)")
	passFile := fs.String("passphrase-file", "", "wrap the secret key with the passphrase in FILE (or env KUBU_BACKUP_PASSPHRASE[_FILE])")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	if cfg.DatabaseURL != "" && !*filesOnly {
		return fmt.Errorf("%w: with PostgreSQL, back the database up with pg_dump and the files with --files-only", errUsage)
	}
	pass, err := passphrase(e, *passFile)
	if err != nil {
		return err
	}
	o := backup.Options{DataDir: cfg.DataDir, FilesOnly: *filesOnly, Events: *events, Passphrase: pass, KubuVersion: buildinfo.String()}
	if !*noKey {
		if cfg.SecretKey != nil {
			o.Key = []byte(hex.EncodeToString(cfg.SecretKey) + "\n")
		} else if o.Key, err = os.ReadFile(filepath.Join(cfg.DataDir, backup.KeyName)); err != nil {
			return fmt.Errorf("secret key: %w (give KUBU_SECRET_KEY, or --no-key)", err)
		}
	} else if pass != nil {
		return fmt.Errorf("%w: --no-key leaves nothing to wrap with a passphrase", errUsage)
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	var w io.Writer = e.Stdout
	var f *os.File
	if *out != "-" {
		// Written beside FILE and renamed once whole: FILE is never a
		// partial backup.
		if f, err = os.CreateTemp(filepath.Dir(*out), filepath.Base(*out)+".part-*"); err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		w = f
	}
	m, err := backup.Write(e.Context, w, o)
	if err != nil {
		return err
	}
	var size int64
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
		st, _ := f.Stat()
		size = st.Size()
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), *out); err != nil {
			return err
		}
	}
	what := "files only"
	if m.Database != "" {
		what = fmt.Sprintf("database at schema %d with %d audit entries", m.SchemaVersion, m.AuditEntries)
	}
	fmt.Fprintf(e.Stderr, "backup written: %s, %d files, %d bytes, secret key %s\n", what, len(m.Files), size, m.SecretKey)
	return nil
}

func runRestore(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "restore")
	config.Common(fs, &cfg, e.Getenv)
	passFile := fs.String("passphrase-file", "", "the passphrase the secret key was wrapped with (or env KUBU_BACKUP_PASSPHRASE[_FILE])")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: kubu restore [--data DIR] FILE", errUsage)
	}
	pass, err := passphrase(e, *passFile)
	if err != nil {
		return err
	}
	in, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	m, err := backup.Restore(e.Context, in, backup.RestoreOptions{DataDir: cfg.DataDir, Passphrase: pass})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "restored %d files into %s (backup of %s)\n", len(m.Files), cfg.DataDir, m.CreatedAt.Format("2006-01-02 15:04:05Z"))
	if m.Database == "" {
		fmt.Fprintln(e.Stderr, "files only: restore the database with pg_restore, then run kubu audit verify")
		return nil
	}
	if m.SecretKey == backup.KeyAbsent && cfg.SecretKey == nil {
		fmt.Fprintln(e.Stderr, "the backup holds no secret key: give KUBU_SECRET_KEY, then run kubu audit verify")
		return nil
	}
	// The restored data must verify, with exactly the snapshot's entries.
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return fmt.Errorf("open the restored data dir: %w", err)
	}
	defer a.Close()
	s, err := a.Audit.Verify(e.Context)
	if err := auditErr(err); err != nil {
		return fmt.Errorf("restored, but the audit log does not verify: %w", err)
	}
	if int64(s.Entries) != m.AuditEntries {
		return fmt.Errorf("restored, but the audit log has %d entries where the backup had %d", s.Entries, m.AuditEntries)
	}
	fmt.Fprintf(e.Stdout, "restored: audit log intact: %d entries, root %s\n", s.Entries, s.RootHash)
	return nil
}
