#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extract/file_security_validator.h"
#include "extract/mime_sniffer.h"
#include "extract/pdf_scanner.h"
#include "fixtures.h"

namespace scriptgen::extract {
namespace {

using testing::Fixture;
using ::testing::HasSubstr;

struct GoodCase {
  const char* file;
  const char* declared;
  const char* name;
  const char* mime;
};

class GoodFixtureTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodFixtureTest, AcceptedWithSniffedType) {
  const GoodCase& c = GetParam();
  FileSecurityValidator v;
  StatusOr<ValidationResult> r = v.Validate(Fixture(c.file), c.declared, c.name);
  ASSERT_TRUE(r.ok()) << c.file << ": " << r.status().ToString();
  EXPECT_EQ(r->mime, c.mime);
  EXPECT_FALSE(r->mismatch) << r->findings.front();
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, GoodFixtureTest,
    ::testing::Values(
        GoodCase{"good/english.pdf", "application/pdf", "english.pdf", "application/pdf"},
        GoodCase{"good/korean.pdf", "", "korean.pdf", "application/pdf"},
        GoodCase{"good/report.docx", "application/octet-stream", "report.docx",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        GoodCase{"good/page.html", "text/html", "page.html", "text/html"},
        GoodCase{"good/korean_euckr.html", "text/html; charset=euc-kr", "k.html", "text/html"},
        GoodCase{"good/notes.md", "text/markdown", "notes.md", "text/markdown"},
        GoodCase{"good/notes.md", "text/plain", "notes.md", "text/markdown"},
        GoodCase{"good/shots.csv", "text/csv", "shots.csv", "text/csv"},
        GoodCase{"good/korean_cp949.txt", "text/plain", "korean.txt", "text/plain"},
        GoodCase{"good/utf16.txt", "text/plain", "utf16.txt", "text/plain"}));

Status ValidateFixture(const std::string& file, const std::string& name,
                       ValidationOptions options = {}) {
  StatusOr<ValidationResult> r =
      FileSecurityValidator(std::move(options)).Validate(Fixture(file), "", name);
  return r.ok() ? Status::Ok() : r.status();
}

TEST(ValidatorTest, ElfNamedPdfIsRefused) {
  Status s = ValidateFixture("hostile/elf_binary.pdf", "elf_binary.pdf");
  EXPECT_EQ(s.code(), Code::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("ELF"));
}

TEST(ValidatorTest, RealProgramNamedPdfIsRefused) {
  FileSecurityValidator v;
  StatusOr<ValidationResult> r = v.ValidateFile("/bin/true", "application/pdf", "invoice.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("executable"));
}

TEST(ValidatorTest, OtherExecutableFormatsAreRefused) {
  FileSecurityValidator v;
  for (std::string bytes :
       {std::string("\xCF\xFA\xED\xFE\x07\x00\x00\x01", 8) + std::string(64, 'A'),
        std::string("\xFE\xED\xFA\xCE", 4) + std::string(64, '\0'),
        std::string("#!/usr/bin/env python3\nprint('x')\n")}) {
    StatusOr<ValidationResult> r = v.Validate(bytes, "text/plain", "notes.txt");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnsupported) << r.status().ToString();
  }
  // A PE: "MZ" with a PE header at e_lfanew.
  std::string pe(256, '\0');
  pe[0] = 'M', pe[1] = 'Z', pe[0x3C] = static_cast<char>(0x80);
  pe.replace(0x80, 4, std::string("PE\0\0", 4));
  StatusOr<ValidationResult> r = v.Validate(pe, "application/pdf", "x.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("Windows executable"));
}

TEST(ValidatorTest, MzWithHugePeOffsetDoesNotCrash) {
  // Regression (fuzz_validator): e_lfanew near 2^32 wrapped the bounds check.
  std::string mz(128, ' ');
  mz[0] = 'M', mz[1] = 'Z';
  mz.replace(0x3C, 4, std::string("\xFE\xFF\xFF\xFF", 4));
  StatusOr<ValidationResult> r = FileSecurityValidator().Validate(mz, "", "a.txt");
  EXPECT_TRUE(r.ok() || r.status().code() == Code::kUnsupported);
  EXPECT_EQ(DetectExecutable(mz, "text/plain"), "");
}

TEST(ValidatorTest, TextStartingWithMzIsNotAnExecutable) {
  FileSecurityValidator v;
  StatusOr<ValidationResult> r =
      v.Validate("MZ is how the team abbreviates Mazurka.\n", "text/plain", "n.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->mime, "text/plain");
}

TEST(ValidatorTest, ShellScriptNamedTxtIsRefused) {
  Status s = ValidateFixture("hostile/script.txt", "script.txt");
  EXPECT_EQ(s.code(), Code::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("script"));
}

TEST(ValidatorTest, ZipBombIsRefusedWhileInflating) {
  Status s = ValidateFixture("hostile/zip_bomb.docx", "zip_bomb.docx");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("zip bomb"));
  EXPECT_THAT(s.message(), HasSubstr("word/media/zeros.bin"));
}

TEST(ValidatorTest, PathTraversalEntryIsRefused) {
  Status s = ValidateFixture("hostile/traversal.docx", "traversal.docx");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'..'"));
  EXPECT_THAT(s.message(), HasSubstr("evil.sh"));
}

TEST(ValidatorTest, PdfWithJavaScriptIsRefused) {
  for (const char* f : {"hostile/javascript.pdf", "hostile/javascript_escaped.pdf",
                        "hostile/javascript_objstm.pdf"}) {
    Status s = ValidateFixture(f, "doc.pdf");
    EXPECT_EQ(s.code(), Code::kUnsupported) << f;
    EXPECT_THAT(s.message(), HasSubstr("/JavaScript")) << f;
    EXPECT_THAT(s.message(), HasSubstr("active content")) << f;
  }
}

TEST(ValidatorTest, EscapedAndCompressedNamesAreDecoded) {
  PdfScan escaped = ScanPdf(Fixture("hostile/javascript_escaped.pdf"));
  EXPECT_THAT(escaped.active_names, ::testing::IsSupersetOf({"OpenAction", "JavaScript", "JS"}));
  const std::string objstm = Fixture("hostile/javascript_objstm.pdf");
  EXPECT_EQ(objstm.find("JavaScript"), std::string::npos);  // only visible once inflated
  PdfScan compressed = ScanPdf(objstm);
  EXPECT_EQ(compressed.objstm_scanned, 1);
  EXPECT_THAT(compressed.active_names, ::testing::Contains("JavaScript"));
  EXPECT_TRUE(ScanPdf(Fixture("good/english.pdf")).active_names.empty());
}

TEST(ValidatorTest, ActiveContentCanBeAllowedAndReported) {
  ValidationOptions o;
  o.pdf_active_content = ActiveContentPolicy::kAllowAndReport;
  StatusOr<ValidationResult> r =
      FileSecurityValidator(o).Validate(Fixture("hostile/javascript.pdf"), "", "a.pdf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_THAT(r->findings[0], HasSubstr("/JavaScript"));
}

TEST(ValidatorTest, OpenActionAloneIsReportedNotRefused) {
  const std::string pdf =
      "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>\nendobj\n"
      "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
  ValidationOptions o;
  o.open_pdf_with_poppler = false;
  StatusOr<ValidationResult> r = FileSecurityValidator(o).Validate(pdf, "", "a.pdf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->findings.at(0), HasSubstr("/OpenAction"));
  o.refuse_open_action_alone = true;
  EXPECT_EQ(FileSecurityValidator(o).Validate(pdf, "", "a.pdf").status().code(),
            Code::kUnsupported);
}

TEST(ValidatorTest, EncryptedPdfIsRefused) {
  Status s = ValidateFixture("hostile/encrypted.pdf", "e.pdf");
  EXPECT_EQ(s.code(), Code::kUnsupported);
  EXPECT_THAT(s.message(), HasSubstr("encrypted"));
  EXPECT_THAT(s.message(), HasSubstr("remove the password"));
}

TEST(ValidatorTest, TruncatedPdfIsRefused) {
  Status s = ValidateFixture("hostile/truncated.pdf", "t.pdf");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("incomplete"));
}

TEST(ValidatorTest, RandomBytesAreRefused) {
  FileSecurityValidator v;
  StatusOr<ValidationResult> r =
      v.Validate(Fixture("hostile/random.bin"), "text/plain", "notes.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("not a supported document type"));
  EXPECT_THAT(r.status().message(), HasSubstr("declared as text/plain"));
}

TEST(ValidatorTest, EmptyFileIsBadInput) {
  EXPECT_EQ(FileSecurityValidator().Validate("", "text/plain", "a.txt").status().code(),
            Code::kInvalidArgument);
}

TEST(ValidatorTest, OversizedFileIsBadInput) {
  ValidationOptions o;
  o.max_file_bytes = 10;
  EXPECT_EQ(
      FileSecurityValidator(o).Validate("0123456789ab", "text/plain", "a.txt").status().code(),
      Code::kInvalidArgument);
}

TEST(ValidatorTest, DeclaredAndSniffedMismatchIsReportedAndSniffedWins) {
  FileSecurityValidator v;
  StatusOr<ValidationResult> r = v.Validate(Fixture("good/english.pdf"), "text/plain", "notes.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->mime, "application/pdf");
  EXPECT_EQ(r->sniffed_mime, "application/pdf");
  EXPECT_EQ(r->declared_mime, "text/plain");
  EXPECT_TRUE(r->mismatch);
  ASSERT_FALSE(r->findings.empty());
  EXPECT_THAT(r->findings[0], HasSubstr("declared as text/plain"));

  // The extension counts as a declaration when the Content-Type is vague.
  r = v.Validate("plain words\n", "application/octet-stream", "report.pdf");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mime, "text/plain");
  EXPECT_EQ(r->declared_mime, "application/pdf");
  EXPECT_TRUE(r->mismatch);
}

TEST(ValidatorTest, DeclarationNeverUpgradesBinaryToText) {
  FileSecurityValidator v;
  StatusOr<ValidationResult> r =
      v.Validate(std::string("\x00\x01\x02\x03\xFF\xFE\x80", 7) + std::string(100, '\x01'),
                 "text/markdown", "x.md");
  EXPECT_EQ(r.status().code(), Code::kUnsupported);
}

TEST(ValidatorTest, AllowListIsConfigurable) {
  ValidationOptions o;
  o.allowed_mime = {"text/plain"};
  EXPECT_EQ(
      FileSecurityValidator(o).Validate(Fixture("good/english.pdf"), "", "a.pdf").status().code(),
      Code::kUnsupported);
  EXPECT_TRUE(FileSecurityValidator(o).Validate("hello\n", "", "a.txt").ok());
}

TEST(ValidatorTest, ZipLimitsAreEnforcedWithSmallLimits) {
  const std::string docx = Fixture("good/report.docx");
  ValidationOptions o;
  o.zip.max_entries = 3;
  Status s = FileSecurityValidator(o).Validate(docx, "", "r.docx").status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("entries"));

  o = {};
  o.zip.max_total_inflated = 20 * 1024;
  s = FileSecurityValidator(o).Validate(docx, "", "r.docx").status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("inflates to more than"));

  o = {};
  o.zip.max_ratio = 1;
  o.zip.ratio_grace_bytes = 0;
  s = FileSecurityValidator(o).Validate(docx, "", "r.docx").status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("expands more than"));
}

TEST(ZipReaderTest, ReadsAndCountsEveryEntry) {
  const std::string bytes = Fixture("good/report.docx");  // must outlive the reader
  ZipLimits limits;
  StatusOr<std::unique_ptr<ZipReader>> z = ZipReader::Open(bytes, limits);
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE((*z)->Has("word/document.xml"));
  EXPECT_TRUE((*z)->InflateAll().ok());
  EXPECT_GT((*z)->total_inflated(), 1000u);
}

TEST(SnifferTest, SniffsFromContentNotName) {
  EXPECT_EQ(SniffMime(Fixture("good/english.pdf")), "application/pdf");
  EXPECT_EQ(SniffMime(Fixture("hostile/elf_binary.pdf")), "application/x-executable");
  EXPECT_EQ(SniffMime(""), "application/x-empty");
  EXPECT_EQ(BareMime(" Text/HTML ; charset=UTF-8"), "text/html");
  EXPECT_EQ(MimeFromFilename("A.MarkDown"), "text/markdown");
  EXPECT_EQ(MimeFromFilename("noext"), "");
  EXPECT_EQ(CharsetParameter("text/plain; Charset=\"EUC-KR\""), "EUC-KR");
  EXPECT_EQ(CharsetParameter("text/plain;charset=utf-8; x=y"), "utf-8");
  EXPECT_EQ(CharsetParameter("text/plain"), "");
}

}  // namespace
}  // namespace scriptgen::extract
