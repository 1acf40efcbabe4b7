package banking

import (
	"strings"
	"time"
)

// DocumentType is what an owner's document is (businesses.md section 4).
type DocumentType string

// The document types a program may add.
const (
	DocPassport          DocumentType = "passport"
	DocDriversLicense    DocumentType = "drivers_license"
	DocStateID           DocumentType = "state_id"
	DocArticles          DocumentType = "articles_of_incorporation"
	DocEINLetter         DocumentType = "ein_letter"
	DocProofOfAddress    DocumentType = "proof_of_address"
	DocOther             DocumentType = "other"
	documentTypesMessage              = "must be one of passport, drivers_license, state_id, articles_of_incorporation, ein_letter, proof_of_address, other"
)

// DocumentStatus is where a document is in review: pending until the
// business's KYB decision, then approved or rejected with it.
type DocumentStatus string

// Document statuses.
const (
	DocPending  DocumentStatus = "pending"
	DocApproved DocumentStatus = "approved"
	DocRejected DocumentStatus = "rejected"
)

// Document is a reference to a file about an owner; ingot stores the URL and
// never fetches it.
type Document struct {
	ID         DocumentID
	ProgramID  ProgramID
	BusinessID BusinessID
	OwnerID    OwnerID
	Type       DocumentType
	FileURL    string
	Status     DocumentStatus
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// NewDocumentInput is what a program sends to add a document.
type NewDocumentInput struct {
	DocumentType, FileURL string
}

// NewDocument validates in and builds a pending document of owner oid.
// Whether the owner belongs to the business is BusinessFile.AddDocument's
// rule.
func NewDocument(pid ProgramID, bid BusinessID, oid OwnerID, in NewDocumentInput, now time.Time) (Document, error) {
	f := fieldErrors{}
	typ := DocumentType(in.DocumentType)
	if required(f, "document_type", string(typ)) {
		switch typ {
		case DocPassport, DocDriversLicense, DocStateID, DocArticles, DocEINLetter, DocProofOfAddress, DocOther:
		default:
			f.add("document_type", documentTypesMessage)
		}
	}
	u := strings.TrimSpace(in.FileURL)
	if required(f, "file_url", u) {
		checkHTTPSURL(f, "file_url", u)
	}
	if err := f.err(); err != nil {
		return Document{}, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	return Document{ID: NewID[DocumentID](now), ProgramID: pid, BusinessID: bid, OwnerID: oid,
		Type: typ, FileURL: u, Status: DocPending, CreatedAt: now, UpdatedAt: now}, nil
}

// documentKey is the change key of a document's field in the business's
// trail.
func documentKey(id DocumentID, field string) string {
	return "documents[" + string(id) + "]." + field
}
