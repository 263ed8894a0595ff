package evidence

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// maxField is the largest text field of an upload form.
const maxField = 64 << 10

// AddMultipart takes in an upload as contract §8 describes it: a
// multipart/form-data body with the text fields description, collected_at
// (RFC 3339), collected_by, source_system and method, then one part named
// file. The file streams straight into the locker (never buffered whole,
// never spooled to a temporary file); the text fields must come before it,
// so that bad metadata is refused before any byte is stored.
func (s *Service) AddMultipart(ctx context.Context, a authz.Actor, incidentID string, mr *multipart.Reader) (Item, error) {
	in, file, err := readFields(mr)
	if err != nil {
		return Item{}, err
	}
	return s.add(ctx, a, incidentID, in, file, func() error {
		// Metadata after the file would have been stored unchecked.
		next, err := mr.NextPart()
		if err == nil {
			return validate.Errors{{Field: next.FormName(), Message: "form fields must come before the file"}}
		}
		if err != io.EOF {
			return validate.Errors{{Field: "file", Message: "the upload is not a readable multipart form: " + err.Error()}}
		}
		return nil
	})
}

// readFields reads the text fields up to the file part and returns them
// with the file part, positioned at its first byte.
func readFields(mr *multipart.Reader) (Intake, *multipart.Part, error) {
	var in Intake
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return Intake{}, nil, validate.Errors{{Field: "file", Message: "is required"}}
		}
		if err != nil {
			return Intake{}, nil, validate.Errors{{Field: "file", Message: "the upload is not a readable multipart form: " + err.Error()}}
		}
		name := p.FormName()
		if name == "file" {
			if p.FileName() == "" {
				return Intake{}, nil, validate.Errors{{Field: "file", Message: "must be a file (with a file name)"}}
			}
			in.Name = p.FileName()
			in.ContentType = p.Header.Get("Content-Type")
			return in, p, nil
		}
		value, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil {
			return Intake{}, nil, validate.Errors{{Field: name, Message: "cannot be read: " + err.Error()}}
		}
		if len(value) > maxField {
			return Intake{}, nil, validate.Errors{{Field: name, Message: fmt.Sprintf("longer than %d bytes", maxField)}}
		}
		if err := in.set(name, string(value)); err != nil {
			return Intake{}, nil, err
		}
	}
}

func (in *Intake) set(name, value string) error {
	switch name {
	case "description":
		in.Description = value
	case "collected_by":
		in.CollectedBy = value
	case "source_system":
		in.SourceSystem = value
	case "method":
		in.Method = value
	case "collected_at":
		value = strings.TrimSpace(value)
		if value == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return validate.Errors{{Field: "collected_at", Message: "must be an RFC 3339 time such as 2026-03-01T08:30:00Z"}}
		}
		in.CollectedAt = &t
	default:
		return validate.Errors{{Field: name, Message: "is not a field of an evidence upload"}}
	}
	return nil
}
