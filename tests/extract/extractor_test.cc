#include "extract/extractor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extract/file_security_validator.h"
#include "fixtures.h"
#include "text/utf8.h"

namespace scriptgen::extract {
namespace {

using testing::Fixture;
using ::testing::HasSubstr;
using ::testing::Not;

// Validates like the pipeline does, then extracts as the validated type.
ExtractedText ValidateAndExtract(const std::string& file, const std::string& name) {
  const std::string bytes = Fixture(file);
  StatusOr<ValidationResult> v = FileSecurityValidator().Validate(bytes, "", name);
  EXPECT_TRUE(v.ok()) << file << ": " << v.status().ToString();
  if (!v.ok()) return {};
  StatusOr<ExtractedText> t = Extract(v->mime, bytes);
  EXPECT_TRUE(t.ok()) << file << ": " << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_TRUE(text::IsValidUtf8(t->text));
  EXPECT_EQ(t->text.find('\r'), std::string::npos);
  if (!t->text.empty()) {
    EXPECT_EQ(t->sections.at(0).byte_offset, 0u);
    EXPECT_EQ(t->text.back(), '\n');
  }
  for (size_t i = 1; i < t->sections.size(); ++i) {
    EXPECT_LT(t->sections[i - 1].byte_offset, t->sections[i].byte_offset);
    EXPECT_LT(t->sections[i].byte_offset, t->text.size());
  }
  return std::move(t).value();
}

// The section of the first occurrence of phrase (fails if absent).
Section SectionOf(const ExtractedText& t, const std::string& phrase) {
  const size_t at = t.text.find(phrase);
  EXPECT_NE(at, std::string::npos) << "missing \"" << phrase << "\" in:\n" << t.text;
  if (at == std::string::npos) return {};
  const Section* s = SectionAt(t, at);
  EXPECT_NE(s, nullptr);
  return s ? *s : Section{};
}

TEST(ExtractPdfTest, EnglishPagesAreNumbered) {
  ExtractedText t = ValidateAndExtract("good/english.pdf", "english.pdf");
  EXPECT_EQ(t.page_count, 3);
  EXPECT_EQ(SectionOf(t, "amber lighthouse").page, 1);
  EXPECT_EQ(SectionOf(t, "velvet harbor crane").page, 2);
  EXPECT_EQ(SectionOf(t, "marmalade archive").page, 3);
  EXPECT_EQ(SectionOf(t, "Field Guide to Coastal Filming").page, 1);
  EXPECT_EQ(t.sections.size(), 3u);
}

TEST(ExtractPdfTest, KoreanTextIsExtracted) {
  ExtractedText t = ValidateAndExtract("good/korean.pdf", "korean.pdf");
  EXPECT_EQ(t.page_count, 2);
  EXPECT_EQ(SectionOf(t, "서울특별시").page, 1);
  EXPECT_EQ(SectionOf(t, "안녕하세요").page, 1);
  EXPECT_EQ(SectionOf(t, "해운대").page, 2);
}

TEST(ExtractPdfTest, GarbageIsBadInputNotACrash) {
  for (const char* f : {"hostile/random.bin", "hostile/elf_binary.pdf"}) {
    StatusOr<ExtractedText> t = ExtractPdf(Fixture(f), {});
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument) << f;
  }
  // Poppler may reconstruct a truncated file; either way: no crash, valid UTF-8.
  StatusOr<ExtractedText> t = ExtractPdf(Fixture("hostile/truncated.pdf"), {});
  if (t.ok()) {
    EXPECT_TRUE(text::IsValidUtf8(t->text));
  } else {
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  }
}

TEST(ExtractPdfTest, EncryptedPdfIsRefusedEvenWithoutValidation) {
  StatusOr<ExtractedText> t = ExtractPdf(Fixture("hostile/encrypted.pdf"), {});
  EXPECT_EQ(t.status().code(), Code::kUnsupported);
  EXPECT_THAT(t.status().message(), HasSubstr("encrypted"));
}

TEST(ExtractDocxTest, HeadingsTablesAndLists) {
  ExtractedText t = ValidateAndExtract("good/report.docx", "report.docx");
  EXPECT_EQ(SectionOf(t, "turquoise storyboard").heading_path,
            "Production Handbook > Introduction > Scope");
  EXPECT_EQ(SectionOf(t, "how the studio prepares").heading_path,
            "Production Handbook > Introduction");
  EXPECT_EQ(SectionOf(t, "Tuesday | Saffron canyon | Joon").heading_path,
            "Production Handbook > Schedule");
  EXPECT_THAT(t.text, HasSubstr("Day | Location | Lead\nMonday | Harbor | Mina\n"));
  EXPECT_THAT(t.text,
              HasSubstr("- Storyboards are approved weekly\n- Voice-over scripts are read aloud"));
  EXPECT_EQ(SectionOf(t, "cobalt rehearsal").heading_path, "Production Handbook > Schedule");
  EXPECT_EQ(SectionOf(t, "cobalt rehearsal").page, 0);
}

TEST(ExtractDocxTest, HostileContainersAreBadInput) {
  // The extractor inflates only the parts it reads: the bomb entry is never touched (the
  // validator refuses the file); a bomb in word/document.xml itself would hit the same limits.
  StatusOr<ExtractedText> bomb = ExtractDocx(Fixture("hostile/zip_bomb.docx"), {});
  ASSERT_TRUE(bomb.ok());
  EXPECT_EQ(bomb->text, "Hello\n");
  ExtractOptions small;
  small.zip.max_entry_inflated = 10;
  EXPECT_EQ(ExtractDocx(Fixture("good/report.docx"), small).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ExtractDocx(Fixture("hostile/traversal.docx"), {}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ExtractDocx(Fixture("hostile/random.bin"), {}).status().code(), Code::kInvalidArgument);
}

TEST(ExtractHtmlTest, NoiseIsDroppedStructureKept) {
  ExtractedText t = ValidateAndExtract("good/page.html", "page.html");
  for (const char* noise : {"scriptnoise", "stylenoise", "navnoise", "headernoise", "footernoise",
                            "noscriptnoise", "templatenoise", "color: #333", "Studio news"}) {
    EXPECT_THAT(t.text, Not(HasSubstr(noise))) << t.text;
  }
  EXPECT_THAT(t.text, HasSubstr("The studio opened a new emerald sound stage for launch videos."));
  EXPECT_EQ(SectionOf(t, "emerald sound stage").heading_path, "Studio News");
  EXPECT_EQ(SectionOf(t, "Editor | Hyejin").heading_path, "Studio News > Crew");
  EXPECT_THAT(t.text, HasSubstr("- Director of photography\n- Gaffer and grip"));
  EXPECT_THAT(t.text, HasSubstr("Role | Name\nEditor | Hyejin"));
}

TEST(ExtractHtmlTest, MetaCharsetEucKr) {
  ExtractedText t = ValidateAndExtract("good/korean_euckr.html", "k.html");
  EXPECT_EQ(t.charset, "windows-949");
  EXPECT_EQ(SectionOf(t, "성산일출봉").heading_path, "촬영 공지");
}

TEST(ExtractHtmlTest, DeepNestingDoesNotOverflow) {
  std::string html;
  for (int i = 0; i < 450; ++i) html += "<div><span>";
  html += "deep words";
  StatusOr<ExtractedText> t = ExtractHtml(html, {});
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->text, HasSubstr("deep words"));
}

TEST(ExtractHtmlTest, PathologicalNestingIsRefused) {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  StatusOr<ExtractedText> t = ExtractHtml(html, {});
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("100000 levels deep"));
  EXPECT_EQ(FileSecurityValidator().Validate(html, "text/html", "x.html").status().code(),
            Code::kInvalidArgument);
  // Elements that close themselves or have no content do not count.
  EXPECT_EQ(HtmlNestingDepth("<p>a<p>b<br><img src=x><li>c<li>d<div><b>x</b></div>"), 2u);
  EXPECT_EQ(HtmlNestingDepth("<!-- <div><div> --><script>if (a<b) {}</script><i/>"), 0u);
}

TEST(ExtractMarkdownTest, AtxHeadingsAndFences) {
  ExtractedText t = ValidateAndExtract("good/notes.md", "notes.md");
  EXPECT_EQ(SectionOf(t, "crimson teaser").heading_path, "Launch Plan");
  EXPECT_EQ(SectionOf(t, "indigo trailer").heading_path, "Launch Plan > Audience");
  EXPECT_EQ(SectionOf(t, "# not a heading").heading_path, "Launch Plan > Audience");
  EXPECT_EQ(SectionOf(t, "walnut camera dolly").heading_path, "Launch Plan > Budget");
  EXPECT_EQ(t.text.substr(t.sections.back().byte_offset, 9), "## Budget");
}

TEST(ExtractMarkdownTest, SetextHeadings) {
  StatusOr<ExtractedText> t = ExtractMarkdown("Top\n===\n\nintro\n\nSub part\n---\n\nbody\n", {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(SectionOf(*t, "intro").heading_path, "Top");
  EXPECT_EQ(SectionOf(*t, "body").heading_path, "Top > Sub part");
}

TEST(ExtractTextTest, Cp949Korean) {
  ExtractedText t = ValidateAndExtract("good/korean_cp949.txt", "korean.txt");
  EXPECT_EQ(t.charset, "windows-949");
  EXPECT_THAT(t.text, HasSubstr("강릉 경포대 일출 촬영 계획"));
  EXPECT_THAT(t.text, HasSubstr("똠양꿍"));  // CP949-only syllables
  EXPECT_THAT(t.text, HasSubstr("햏 자막"));
  EXPECT_THAT(t.text, Not(HasSubstr("\xEF\xBF\xBD")));
}

TEST(ExtractTextTest, Utf16WithBom) {
  ExtractedText t = ValidateAndExtract("good/utf16.txt", "utf16.txt");
  EXPECT_EQ(t.charset, "UTF-16LE");
  EXPECT_EQ(t.text, "UTF-16 notes about the saffron lantern parade.\n유니코드 문서 테스트.\n");
}

TEST(ExtractTextTest, CsvIsText) {
  ExtractedText t = ValidateAndExtract("good/shots.csv", "shots.csv");
  EXPECT_THAT(t.text, HasSubstr("1,harbor,sunrise pelican flyover"));
  ASSERT_EQ(t.sections.size(), 1u);
  EXPECT_EQ(t.sections[0], (Section{0, 0, ""}));
}

TEST(ExtractTextTest, OutputIsNfc) {
  // "한글" as conjoining jamo, and "é" as e + combining acute.
  const std::string decomposed = "\u1112\u1161\u11AB\u1100\u1173\u11AF e\u0301t\u00E9\n";
  for (const char* mime : {"text/plain", "text/markdown", "text/html"}) {
    StatusOr<ExtractedText> t = Extract(mime, decomposed);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->text, "한글 \u00E9t\u00E9\n") << mime;
  }
}

TEST(ExtractTextTest, InvalidUtf8NeverReachesTheOutput) {
  const std::string bad = "ok \xC3( \xED\xA0\x80 \xF8\x88\x80\x80\x80 \xC0\xAF end\r\nline\0two";
  for (const char* mime : {"text/plain", "text/markdown", "text/html", "text/csv"}) {
    StatusOr<ExtractedText> t = Extract(mime, std::string_view(bad.data(), bad.size() + 0));
    ASSERT_TRUE(t.ok()) << mime;
    EXPECT_TRUE(text::IsValidUtf8(t->text)) << mime;
    EXPECT_THAT(t->text, HasSubstr("end")) << mime;
    EXPECT_EQ(t->text.find('\r'), std::string::npos);
  }
}

TEST(ExtractTest, UnknownTypeIsUnsupported) {
  EXPECT_EQ(Extract("image/png", "x").status().code(), Code::kUnsupported);
}

TEST(ExtractTest, OutputLimitCutsWithWarning) {
  ExtractOptions o;
  o.max_output_bytes = 40;
  StatusOr<ExtractedText> t = ExtractDocx(Fixture("good/report.docx"), o);
  ASSERT_TRUE(t.ok());
  EXPECT_LE(t->text.size(), 41u);
  EXPECT_TRUE(text::IsValidUtf8(t->text));
  ASSERT_FALSE(t->warnings.empty());
  EXPECT_THAT(t->warnings[0], HasSubstr("limit"));
}

TEST(SectionTest, SectionAtPicksTheLastSectionStartingAtOrBefore) {
  ExtractedText t;
  t.text = std::string(100, 'x');
  t.sections = {{0, 1, ""}, {10, 2, "A"}, {50, 2, "A > B"}};
  EXPECT_EQ(SectionAt(t, 0)->page, 1);
  EXPECT_EQ(SectionAt(t, 9)->page, 1);
  EXPECT_EQ(SectionAt(t, 10)->heading_path, "A");
  EXPECT_EQ(SectionAt(t, 99)->heading_path, "A > B");
  EXPECT_EQ(SectionAt(ExtractedText{}, 0), nullptr);
}

}  // namespace
}  // namespace scriptgen::extract
