// DOCX = ZIP (ZipReader, with the bomb/traversal limits) + WordprocessingML (pugixml).
//
// We read word/document.xml and, for heading levels and list styles, word/styles.xml. Elements are
// matched by local name, ignoring the namespace prefix, since "w:" is only a convention. pugixml
// never loads external entities or DTDs, so XXE and "billion laughs" are not possible; its parser
// is non-recursive, and our own walk is depth-limited (nested tables/content controls deeper than
// kMaxDepth are flattened) so hostile nesting cannot exhaust the stack.
//
// Mapping: paragraphs -> blocks; Title (level 0) and Heading1..9 / outline levels -> heading path;
// paragraphs with numbering or a List* style -> "- item" lines, consecutive items in one block;
// tables -> one block, cells joined by " | ", rows by LF. Deleted revisions (w:delText), field
// instructions and the VML fallback copies of text boxes (mc:Fallback) are skipped.
#include <cctype>
#include <map>
#include <memory>
#include <pugixml.hpp>

#include "extract/extractor.h"

namespace scriptgen::extract {
namespace {

constexpr int kMaxDepth = 32;

std::string_view Local(const pugi::xml_node& n) {
  std::string_view name = n.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (Local(c) == local) return c;
  }
  return {};
}

// The w:val attribute, whatever its prefix.
std::string_view Val(const pugi::xml_node& n) {
  for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (name == "val" || name.ends_with(":val")) return a.value();
  }
  return {};
}

std::string_view Attr(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    const size_t colon = name.find(':');
    if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == local) {
      return a.value();
    }
  }
  return {};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct StyleInfo {
  int heading = -1;  // 0 = title, 1..9 = heading level, -1 = body text
  bool list = false;
};

// "Heading3"/"heading 3" -> 3, "Title" -> 0, else -1.
int HeadingFromName(std::string_view raw) {
  std::string s = Lower(raw);
  if (s == "title") return 0;
  if (s.starts_with("heading")) {
    std::string_view rest = std::string_view(s).substr(7);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.size() == 1 && rest[0] >= '1' && rest[0] <= '9') return rest[0] - '0';
  }
  return -1;
}

int OutlineLevel(const pugi::xml_node& ppr) {
  pugi::xml_node o = Child(ppr, "outlineLvl");
  if (!o) return -1;
  std::string_view v = Val(o);
  if (v.size() == 1 && v[0] >= '0' && v[0] <= '8') return v[0] - '0' + 1;
  return -1;
}

std::map<std::string, StyleInfo, std::less<>> ParseStyles(std::string_view xml) {
  std::map<std::string, StyleInfo, std::less<>> styles;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default)) return styles;
  pugi::xml_node root = doc.document_element();
  for (pugi::xml_node s = root.first_child(); s; s = s.next_sibling()) {
    if (Local(s) != "style" || Attr(s, "type") != "paragraph") continue;
    StyleInfo info;
    std::string_view id = Attr(s, "styleId");
    std::string_view name = Val(Child(s, "name"));
    info.heading = HeadingFromName(id);
    if (info.heading < 0) info.heading = HeadingFromName(name);
    if (info.heading < 0) info.heading = OutlineLevel(Child(s, "pPr"));
    const std::string lname = Lower(name), lid = Lower(id);
    info.list = lname.starts_with("list") || lid.starts_with("list") ||
                static_cast<bool>(Child(Child(s, "pPr"), "numPr"));
    styles.emplace(std::string(id), info);
  }
  return styles;
}

class DocxWalker {
 public:
  DocxWalker(const std::map<std::string, StyleInfo, std::less<>>& styles, size_t max_bytes)
      : styles_(styles), builder_(max_bytes) {}

  void Body(const pugi::xml_node& body, int depth) {
    for (pugi::xml_node c = body.first_child(); c && !builder_.truncated(); c = c.next_sibling()) {
      std::string_view name = Local(c);
      if (name == "p") {
        Paragraph(c);
      } else if (name == "tbl") {
        FlushList();
        Table(c, depth);
      } else if ((name == "sdt" || name == "customXml" || name == "smartTag") &&
                 depth < kMaxDepth) {
        pugi::xml_node content = name == "sdt" ? Child(c, "sdtContent") : c;
        Body(content, depth + 1);
      }
    }
  }

  ExtractedText Finish() {
    FlushList();
    return builder_.Finish();
  }

 private:
  // Text of everything under n: w:t, tabs and breaks; skips fallback copies.
  static void Text(const pugi::xml_node& n, std::string* out) {
    pugi::xml_node cur = n.first_child();
    while (cur) {
      std::string_view name = Local(cur);
      bool descend = true;
      if (cur.type() == pugi::node_element) {
        if (name == "t") {
          out->append(cur.text().get());
          descend = false;
        } else if (name == "tab") {
          out->push_back('\t');
        } else if (name == "br" || name == "cr") {
          out->push_back('\n');
        } else if (name == "Fallback" || name == "delText" || name == "instrText" ||
                   name == "pPr" || name == "rPr") {
          descend = false;
        }
      } else {
        descend = false;
      }
      if (descend && cur.first_child()) {
        cur = cur.first_child();
        continue;
      }
      while (cur && cur != n && !cur.next_sibling()) cur = cur.parent();
      if (!cur || cur == n) break;
      cur = cur.next_sibling();
    }
  }

  StyleInfo ParagraphStyle(const pugi::xml_node& p) const {
    StyleInfo info;
    pugi::xml_node ppr = Child(p, "pPr");
    if (!ppr) return info;
    std::string_view id = Val(Child(ppr, "pStyle"));
    if (auto it = styles_.find(id); it != styles_.end()) {
      info = it->second;
    } else {
      info.heading = HeadingFromName(id);
      info.list = Lower(id).starts_with("list");
    }
    if (int o = OutlineLevel(ppr); o >= 0) info.heading = o;
    if (Child(ppr, "numPr")) info.list = true;
    return info;
  }

  void Paragraph(const pugi::xml_node& p) {
    std::string text;
    Text(p, &text);
    const StyleInfo style = ParagraphStyle(p);
    if (text.find_first_not_of(" \t\n") == std::string::npos) return;
    if (style.heading >= 0) {
      FlushList();
      builder_.AddHeading(style.heading, text);
    } else if (style.list) {
      if (!list_.empty()) list_ += "\n";
      list_ += "- " + CollapseSpaces(text);
    } else {
      FlushList();
      builder_.AddBlock(text);
    }
  }

  void FlushList() {
    if (list_.empty()) return;
    builder_.AddBlock(list_);
    list_.clear();
  }

  // One block: rows by LF, cells by " | ". Nested tables are flattened into their cell's text.
  void Table(const pugi::xml_node& tbl, int depth) {
    std::string block;
    for (pugi::xml_node tr = tbl.first_child(); tr; tr = tr.next_sibling()) {
      if (Local(tr) != "tr") continue;
      std::string row;
      bool first = true;
      for (pugi::xml_node tc = tr.first_child(); tc; tc = tc.next_sibling()) {
        if (Local(tc) != "tc" && Local(tc) != "sdt") continue;
        std::string cell;
        for (pugi::xml_node part = tc.first_child(); part; part = part.next_sibling()) {
          std::string piece;
          if (depth < kMaxDepth || Local(part) == "p") Text(part, &piece);
          piece = CollapseSpaces(piece);
          if (piece.empty()) continue;
          if (!cell.empty()) cell += ' ';
          cell += piece;
        }
        for (char& ch : cell) {
          if (ch == '\n') ch = ' ';
        }
        if (!first) row += " | ";
        row += cell;
        first = false;
      }
      if (row.find_first_not_of(" |") == std::string::npos) continue;
      if (!block.empty()) block += '\n';
      block += row;
    }
    builder_.AddBlock(block);
  }

  const std::map<std::string, StyleInfo, std::less<>>& styles_;
  TextBuilder builder_;
  std::string list_;
};

}  // namespace

StatusOr<ExtractedText> ExtractDocx(std::string_view bytes, const ExtractOptions& options) {
  StatusOr<std::unique_ptr<ZipReader>> zip = ZipReader::Open(bytes, options.zip);
  if (!zip.ok()) return zip.status();
  StatusOr<std::string> document = (*zip)->Read("word/document.xml");
  if (document.status().code() == Code::kNotFound) {
    return InvalidArgument("the DOCX has no word/document.xml; save it again as .docx");
  }
  if (!document.ok()) return document.status();
  std::map<std::string, StyleInfo, std::less<>> styles;
  if ((*zip)->Has("word/styles.xml")) {
    StatusOr<std::string> xml = (*zip)->Read("word/styles.xml");
    if (!xml.ok()) return xml.status();
    styles = ParseStyles(*xml);
  }
  pugi::xml_document doc;
  pugi::xml_parse_result parsed =
      doc.load_buffer(document->data(), document->size(), pugi::parse_default);
  if (!parsed) {
    return InvalidArgument(
        std::string("the DOCX text (word/document.xml) is not well-formed XML (") +
        parsed.description() + "); open and save it again in a word processor");
  }
  pugi::xml_node body = Child(doc.document_element(), "body");
  DocxWalker walker(styles, options.max_output_bytes);
  if (body) walker.Body(body, 0);
  return walker.Finish();
}

}  // namespace scriptgen::extract
