package apitype

// Business is the business object (businesses.md section 1): exactly these
// keys, every one a string. Request names differ: business_address is
// address_one, business_address_2 address_two, zipcode postal_code, email
// business_email and phone_number business_phone_number.
type Business struct {
	ID                  string `json:"id"`
	UUID                string `json:"uuid"`
	UserID              string `json:"user_id"`
	Name                string `json:"name"`
	DBA                 string `json:"dba"`
	EIN                 string `json:"ein"`
	BusinessType        string `json:"business_type"`
	BusinessIndustry    string `json:"business_industry"`
	BusinessEmail       string `json:"business_email"`
	BusinessPhoneNumber string `json:"business_phone_number"`
	SupportEmail        string `json:"support_email"`
	SupportPhoneNumber  string `json:"support_phone_number"`
	AddressOne          string `json:"address_one"`
	AddressTwo          string `json:"address_two"`
	City                string `json:"city"`
	State               string `json:"state"`
	Country             string `json:"country"`
	PostalCode          string `json:"postal_code"`
	Status              string `json:"status"`
	KYBStatus           string `json:"kyb_status"`
	CreatedAt           string `json:"created_at"`
	UpdatedAt           string `json:"updated_at"`
}

// Owner is a beneficial owner (businesses.md section 3). OwnershipPercent
// is a JSON number, 0 to 100 with at most two decimals; the SSN is never
// returned.
type Owner struct {
	ID               string  `json:"id"`
	BusinessID       string  `json:"business_id"`
	FirstName        string  `json:"first_name"`
	LastName         string  `json:"last_name"`
	Email            string  `json:"email"`
	PhoneNumber      string  `json:"phone_number"`
	DateOfBirth      string  `json:"date_of_birth"`
	OwnershipPercent float64 `json:"ownership_percent"`
	KYCStatus        string  `json:"kyc_status"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

// Document is an owner's document (businesses.md section 4): a file
// reference with its review status, pending until the KYB decision.
type Document struct {
	ID           string `json:"id"`
	DocumentType string `json:"document_type"`
	FileURL      string `json:"file_url"`
	Status       string `json:"status"`
	CreatedAt    string `json:"created_at"`
}

// Contact is a business's customer or vendor (businesses.md section 6);
// UserID is the contact's own user.
type Contact struct {
	ID           string `json:"id"`
	ContactType  string `json:"contact_type"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	BusinessName string `json:"business_name"`
	Email        string `json:"email"`
	PhoneNumber  string `json:"phone_number"`
	UserID       string `json:"user_id"`
	CreatedAt    string `json:"created_at"`
}

// BusinessRepresentative holds the optional business_rep_* fields of
// business/create and business/update, stored with the business.
type BusinessRepresentative struct {
	RepName     string `json:"business_rep_name,omitempty"`
	RepEmail    string `json:"business_rep_email,omitempty"`
	RepJobTitle string `json:"business_rep_job_title,omitempty"`
	RepDOB      string `json:"business_rep_dob,omitempty"`
	RepAddress  string `json:"business_rep_address,omitempty"`
	RepAddress2 string `json:"business_rep_address_2,omitempty"`
	RepZipcode  string `json:"business_rep_zipcode,omitempty"`
	RepCity     string `json:"business_rep_city,omitempty"`
	RepState    string `json:"business_rep_state,omitempty"`
	RepCountry  string `json:"business_rep_country,omitempty"`
	RepPhone    string `json:"business_rep_phone,omitempty"`
}

// CreateBusinessRequest is the body of /business/create. BusinessName (or
// Name), EIN, BusinessType, BusinessAddress, City, State, Zipcode, Country,
// Email (or BusinessEmail) and PhoneNumber (or BusinessPhone) are required;
// a field and its alias sent together must be equal.
type CreateBusinessRequest struct {
	Common
	UserID              string     `json:"user_id"`
	BusinessName        string     `json:"business_name,omitempty"`
	Name                string     `json:"name,omitempty"`
	DBA                 string     `json:"dba,omitempty"`
	EIN                 string     `json:"ein"`
	BusinessType        string     `json:"business_type"`
	BusinessIndustry    string     `json:"business_industry,omitempty"`
	BusinessDescription string     `json:"business_description,omitempty"`
	NAICSCode           string     `json:"naics_code,omitempty"`
	IncorporatedDate    string     `json:"incorporated_date,omitempty"`
	IncorporatedState   string     `json:"incorporated_state,omitempty"`
	Email               string     `json:"email,omitempty"`
	BusinessEmail       string     `json:"business_email,omitempty"`
	PhoneNumber         string     `json:"phone_number,omitempty"`
	BusinessPhone       string     `json:"business_phone,omitempty"`
	SupportEmail        string     `json:"support_email,omitempty"`
	SupportPhoneNumber  string     `json:"support_phone_number,omitempty"`
	BusinessAddress     string     `json:"business_address"`
	BusinessAddress2    string     `json:"business_address_2,omitempty"`
	City                string     `json:"city"`
	State               string     `json:"state"`
	Zipcode             string     `json:"zipcode"`
	Country             string     `json:"country"`
	MetaData            []MetaData `json:"meta_data,omitempty"`
	BusinessRepresentative
}

// UpdateBusinessRequest is the body of /business/update: UserID and
// BusinessID name the business, every other field is optional and nil
// leaves it as it is. Besides the create fields it accepts the support
// address and the https URLs BusinessProof, PersonalID and Logo.
type UpdateBusinessRequest struct {
	Common
	UserID              string      `json:"user_id"`
	BusinessID          string      `json:"business_id"`
	BusinessName        *string     `json:"business_name,omitempty"`
	Name                *string     `json:"name,omitempty"`
	DBA                 *string     `json:"dba,omitempty"`
	EIN                 *string     `json:"ein,omitempty"`
	BusinessType        *string     `json:"business_type,omitempty"`
	BusinessIndustry    *string     `json:"business_industry,omitempty"`
	BusinessDescription *string     `json:"business_description,omitempty"`
	NAICSCode           *string     `json:"naics_code,omitempty"`
	IncorporatedDate    *string     `json:"incorporated_date,omitempty"`
	IncorporatedState   *string     `json:"incorporated_state,omitempty"`
	Email               *string     `json:"email,omitempty"`
	BusinessEmail       *string     `json:"business_email,omitempty"`
	PhoneNumber         *string     `json:"phone_number,omitempty"`
	BusinessPhone       *string     `json:"business_phone,omitempty"`
	SupportEmail        *string     `json:"support_email,omitempty"`
	SupportPhoneNumber  *string     `json:"support_phone_number,omitempty"`
	BusinessAddress     *string     `json:"business_address,omitempty"`
	BusinessAddress2    *string     `json:"business_address_2,omitempty"`
	City                *string     `json:"city,omitempty"`
	State               *string     `json:"state,omitempty"`
	Zipcode             *string     `json:"zipcode,omitempty"`
	Country             *string     `json:"country,omitempty"`
	SupportAddressOne   *string     `json:"support_address_one,omitempty"`
	SupportAddressTwo   *string     `json:"support_address_two,omitempty"`
	SupportCity         *string     `json:"support_city,omitempty"`
	SupportState        *string     `json:"support_state,omitempty"`
	SupportZipcode      *string     `json:"support_zipcode,omitempty"`
	SupportCountry      *string     `json:"support_country,omitempty"`
	BusinessProof       *string     `json:"business_proof,omitempty"`
	PersonalID          *string     `json:"personal_id,omitempty"`
	Logo                *string     `json:"logo,omitempty"`
	RepName             *string     `json:"business_rep_name,omitempty"`
	RepEmail            *string     `json:"business_rep_email,omitempty"`
	RepJobTitle         *string     `json:"business_rep_job_title,omitempty"`
	RepDOB              *string     `json:"business_rep_dob,omitempty"`
	RepAddress          *string     `json:"business_rep_address,omitempty"`
	RepAddress2         *string     `json:"business_rep_address_2,omitempty"`
	RepZipcode          *string     `json:"business_rep_zipcode,omitempty"`
	RepCity             *string     `json:"business_rep_city,omitempty"`
	RepState            *string     `json:"business_rep_state,omitempty"`
	RepCountry          *string     `json:"business_rep_country,omitempty"`
	RepPhone            *string     `json:"business_rep_phone,omitempty"`
	MetaData            *[]MetaData `json:"meta_data,omitempty"`
}

// BusinessRequest is the body of calls that name one business:
// /business/get and /business/send-verification-request.
type BusinessRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id"`
}

// BlockBusinessRequest is the body of /business/block and /business/unblock.
type BlockBusinessRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id"`
	Reason     string `json:"reason,omitempty"`
}

// ListBusinessesRequest is the body of /business/get-all; every field is
// optional.
type ListBusinessesRequest struct {
	Common
	UserID    string `json:"user_id,omitempty"`
	Search    string `json:"search,omitempty"`
	Status    string `json:"status,omitempty"`
	KYBStatus string `json:"kyb_status,omitempty"`
	Page      *int   `json:"page,omitempty"`
	PerPage   *int   `json:"per_page,omitempty"`
	Sort      string `json:"sort,omitempty"`
}

// BusinessPageRequest is the body of the calls that page through what
// belongs to a business: /business/events and
// /business/get-business-owners.
type BusinessPageRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}

// AddOwnerRequest is the body of /business/add-business-owner. Name is
// split at its last space into first and last name unless FirstName and
// LastName are sent; OwnershipPercent defaults to 0 (a control person).
type AddOwnerRequest struct {
	Common
	UserID           string  `json:"user_id"`
	BusinessID       string  `json:"business_id"`
	Name             string  `json:"name"`
	FirstName        string  `json:"first_name,omitempty"`
	LastName         string  `json:"last_name,omitempty"`
	Email            string  `json:"email"`
	Address          string  `json:"address"`
	PhoneNumber      string  `json:"phone_number"`
	OwnershipPercent *Number `json:"ownership_percent,omitempty"`
	DateOfBirth      string  `json:"date_of_birth,omitempty"`
	SSN              string  `json:"ssn,omitempty"`
}

// AddDocumentRequest is the body of /business/add-business-owner-document.
type AddDocumentRequest struct {
	Common
	UserID          string `json:"user_id"`
	BusinessID      string `json:"business_id"`
	BusinessOwnerID string `json:"business_owner_id"`
	DocumentType    string `json:"document_type"`
	FileURL         string `json:"file_url"`
}

// DocumentsRequest is the body of /business/get-business-owner-documents.
// Page and PerPage are ingot's extension (default: the first 500).
type DocumentsRequest struct {
	Common
	UserID          string `json:"user_id"`
	BusinessID      string `json:"business_id"`
	BusinessOwnerID string `json:"business_owner_id"`
	Page            *int   `json:"page,omitempty"`
	PerPage         *int   `json:"per_page,omitempty"`
}

// ContactsRequest is the body of /business/customers/get-all; Type is
// "customers", "vendors" or empty for both.
type ContactsRequest struct {
	Common
	UserID     string `json:"user_id"`
	BusinessID string `json:"business_id"`
	Type       string `json:"type,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}
