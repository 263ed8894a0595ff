package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/imports"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type systemImportsData struct {
	System    registry.System
	Runs      []importing.Run
	Formats   []imports.Format
	Format    string // the format chosen in a failed upload
	CanImport bool
	Last      *importing.Run // the run just made
}

// systemImports is a system's import page: the upload form (format and
// file) and the history of runs with their counts.
func (u *ui) systemImports(w http.ResponseWriter, r *http.Request) {
	d, err := u.importsPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if id := r.URL.Query().Get("run"); id != "" {
		for i := range d.Runs {
			if d.Runs[i].ID == id {
				d.Last = &d.Runs[i]
			}
		}
	}
	u.render(w, r, http.StatusOK, "system_imports.html", page{Title: "Imports into " + d.System.Name, Data: d})
}

func (u *ui) importsPage(r *http.Request) (systemImportsData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	sys, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		return systemImportsData{}, err
	}
	d := systemImportsData{System: sys, Formats: imports.Formats, CanImport: authz.Check(a, authz.ImportRun, authz.Record(sys.AgencyID)) == nil}
	d.Runs, err = u.Imports.Runs(ctx, a, sys.ID, 50)
	return d, err
}

// systemImportUpload takes the upload form (multipart: the format, then
// the file), spools the file to disk and imports it.
func (u *ui) systemImportUpload(w http.ResponseWriter, r *http.Request) {
	d, err := u.importsPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if !d.CanImport {
		u.fail(w, r, authz.ErrForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, importing.MaxBody+1<<20)
	format, file, err := readImportForm(r)
	if file != nil {
		defer file.Close()
	}
	var run importing.Run
	if err == nil {
		run, err = u.Imports.Import(r.Context(), web.ActorFrom(r.Context()), d.System.ID, format, file)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = validate.Errors{{Field: "file", Message: "the file is larger than 100 MB"}}
		}
		if v, ok := validate.As(err); ok {
			for i := range v {
				if v[i].Field == "body" { // the file's parse error, beside the file input
					v[i].Field = "file"
				}
			}
			err = v
		}
		d.Format = string(format)
		u.formFail(w, r, err, "system_imports.html", "im-", "file", page{Title: "Imports into " + d.System.Name, Data: d})
		return
	}
	u.flash(r, fmt.Sprintf("Imported: %d created, %d updated, %d unchanged, %d reopened, %d closed.",
		run.Created, run.Updated, run.Unchanged, run.Reopened, run.Closed))
	redirect(w, r, "/systems/"+d.System.ID+"/imports?run="+run.ID)
}

// readImportForm reads the format field and spools the file field.
func readImportForm(r *http.Request) (imports.Format, *importing.SpoolFile, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, validate.Errors{{Field: "file", Message: "choose a file to upload"}}
	}
	var format imports.Format
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return format, nil, err
		}
		switch p.FormName() {
		case "format":
			b, err := io.ReadAll(io.LimitReader(p, 100))
			if err != nil {
				return format, nil, err
			}
			f, ferr := imports.ParseFormat(string(b))
			if ferr != nil {
				return imports.Format(b), nil, validate.Errors{{Field: "format", Message: "choose the file's format"}}
			}
			format = f
		case "file":
			if format == "" {
				return "", nil, validate.Errors{{Field: "format", Message: "choose the file's format"}}
			}
			if p.FileName() == "" {
				return format, nil, validate.Errors{{Field: "file", Message: "choose a file to upload"}}
			}
			f, err := importing.Spool(p)
			return format, f, err
		}
	}
	if format == "" {
		return "", nil, validate.Errors{{Field: "format", Message: "choose the file's format"}}
	}
	return format, nil, validate.Errors{{Field: "file", Message: "choose a file to upload"}}
}
