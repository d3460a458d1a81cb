// HTML with gumbo (a complete HTML5 parser, so tag soup parses the way browsers parse it).
//
// Encoding: gumbo wants UTF-8, so we decode first. Precedence follows the HTML spec's order: BOM,
// then the transport's charset (options.charset_hint, from the upload's Content-Type), then a
// <meta charset> / <meta http-equiv content="...charset=..."> in the first 4 KB, then detection
// (DecodeText). "euc-kr" means windows-949, as in browsers.
//
// Noise: script, style, noscript, template, head, nav, svg, iframe, object, embed, canvas, select
// and button subtrees are dropped; header and footer are dropped when they are page-level (not
// inside article, main or section), because an article's <header> usually holds its <h1>.
// Structure: h1..h6 open heading paths; block elements end blocks; list items become "- item"
// lines grouped into one block per list; table rows become "cell | cell" lines, one block per
// table; <br> is a line break; <pre> keeps its white space, other text has it collapsed.
//
// Depth: the walk is recursive but stops descending at kMaxDepth, below which it collects text
// with an explicit stack, so hostile nesting cannot overflow our stack.
#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "extract/extractor.h"
#include "extract/text_decoding.h"

namespace scriptgen::extract {
namespace {

constexpr int kMaxDepth = 200;

std::string MetaCharset(std::string_view bytes) {
  std::string head(bytes.substr(0, 4096));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t at = head.find("<meta"); at != std::string::npos; at = head.find("<meta", at + 5)) {
    const size_t end = head.find('>', at);
    std::string_view tag =
        std::string_view(head).substr(at, end == std::string::npos ? std::string::npos : end - at);
    size_t cs = tag.find("charset");
    if (cs == std::string_view::npos) continue;
    cs += 7;
    while (cs < tag.size() &&
           (tag[cs] == ' ' || tag[cs] == '=' || tag[cs] == '"' || tag[cs] == '\'')) {
      ++cs;
    }
    size_t stop = cs;
    while (stop < tag.size() &&
           (std::isalnum(static_cast<unsigned char>(tag[stop])) || tag[stop] == '-' ||
            tag[stop] == '_' || tag[stop] == ':' || tag[stop] == '.')) {
      ++stop;
    }
    if (stop > cs) return std::string(tag.substr(cs, stop - cs));
  }
  return "";
}

bool IsDropped(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_BUTTON:
      return true;
    default:
      return false;
  }
}

bool IsBlock(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
      return true;
    default:
      return false;
  }
}

int HeadingLevel(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_H1:
      return 1;
    case GUMBO_TAG_H2:
      return 2;
    case GUMBO_TAG_H3:
      return 3;
    case GUMBO_TAG_H4:
      return 4;
    case GUMBO_TAG_H5:
      return 5;
    case GUMBO_TAG_H6:
      return 6;
    default:
      return 0;
  }
}

void AppendText(std::string_view s, bool pre, std::string* out) {
  if (pre) {
    out->append(s);
    return;
  }
  for (char c : s) out->push_back(c == '\n' || c == '\r' || c == '\f' ? ' ' : c);
}

// All visible text under node, flattened (tables, lists and all), with an explicit stack.
void FlatText(const GumboNode* node, std::string* out) {
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      AppendText(n->v.text.text, false, out);
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboTag tag = n->v.element.tag;
    if (IsDropped(tag)) continue;
    if (tag == GUMBO_TAG_BR || IsBlock(tag) || tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH ||
        tag == GUMBO_TAG_LI || HeadingLevel(tag) > 0) {
      out->push_back(' ');
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = kids.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
    }
  }
}

class HtmlWalker {
 public:
  explicit HtmlWalker(size_t max_bytes) : builder_(max_bytes) {}

  void Walk(const GumboNode* n, int depth) {
    if (builder_.truncated()) return;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      AppendText(n->v.text.text, pre_ > 0, &line_);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) return;
    const GumboVector& kids =
        n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
    const GumboTag tag = n->type == GUMBO_NODE_DOCUMENT ? GUMBO_TAG_HTML : n->v.element.tag;
    if (IsDropped(tag)) return;
    if ((tag == GUMBO_TAG_HEADER || tag == GUMBO_TAG_FOOTER) && content_ == 0) return;
    if (depth >= kMaxDepth) {
      FlatText(n, &line_);
      return;
    }
    if (int level = HeadingLevel(tag); level > 0) {
      Flush();
      std::string title;
      FlatText(n, &title);
      builder_.AddHeading(level, title);
      return;
    }
    if (tag == GUMBO_TAG_TABLE) {
      Flush();
      Table(n);
      return;
    }
    if (tag == GUMBO_TAG_BR) {
      line_.push_back('\n');
      return;
    }
    const bool content =
        tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_MAIN || tag == GUMBO_TAG_SECTION;
    const bool list = tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL;
    const bool block = IsBlock(tag) || list || tag == GUMBO_TAG_LI;
    if (block) Flush();
    if (tag == GUMBO_TAG_LI) line_ = "- ";
    content_ += content;
    pre_ += tag == GUMBO_TAG_PRE;
    list_depth_ += list;
    for (unsigned i = 0; i < kids.length; ++i) {
      Walk(static_cast<const GumboNode*>(kids.data[i]), depth + 1);
    }
    if (block) Flush();
    content_ -= content;
    pre_ -= tag == GUMBO_TAG_PRE;
    list_depth_ -= list;
    if (list && list_depth_ == 0 && !list_block_.empty()) {
      builder_.AddBlock(list_block_);
      list_block_.clear();
    }
  }

  ExtractedText Finish() {
    Flush();
    if (!list_block_.empty()) builder_.AddBlock(list_block_);
    return builder_.Finish();
  }

 private:
  void Flush() {
    std::string text = pre_ > 0 ? line_ : CollapseSpaces(line_);
    line_.clear();
    if (text.empty() || text == "-") return;
    if (list_depth_ > 0) {
      if (!list_block_.empty()) list_block_ += '\n';
      list_block_ += text;
    } else {
      builder_.AddBlock(text);
    }
  }

  // Rows of this table (not of nested ones, which are flattened into their cell).
  void Table(const GumboNode* table) {
    std::string block;
    std::vector<const GumboNode*> stack{table};
    std::vector<const GumboNode*> rows;
    while (!stack.empty()) {  // rows may sit in thead/tbody/tfoot
      const GumboNode* n = stack.back();
      stack.pop_back();
      if (n->type != GUMBO_NODE_ELEMENT) continue;
      if (n->v.element.tag == GUMBO_TAG_TR) {
        rows.push_back(n);
        continue;
      }
      if (n != table && n->v.element.tag == GUMBO_TAG_TABLE) continue;
      const GumboVector& kids = n->v.element.children;
      for (unsigned i = kids.length; i > 0; --i) {
        stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
      }
    }
    for (const GumboNode* tr : rows) {
      std::string row;
      bool first = true;
      const GumboVector& cells = tr->v.element.children;
      for (unsigned i = 0; i < cells.length; ++i) {
        const auto* cell = static_cast<const GumboNode*>(cells.data[i]);
        if (cell->type != GUMBO_NODE_ELEMENT ||
            (cell->v.element.tag != GUMBO_TAG_TD && cell->v.element.tag != GUMBO_TAG_TH)) {
          continue;
        }
        std::string text;
        FlatText(cell, &text);
        if (!first) row += " | ";
        row += CollapseSpaces(text);
        first = false;
      }
      if (row.find_first_not_of(" |") == std::string::npos) continue;
      if (!block.empty()) block += '\n';
      block += row;
    }
    builder_.AddBlock(block);
  }

  TextBuilder builder_;
  std::string line_;
  std::string list_block_;
  int pre_ = 0;
  int content_ = 0;
  int list_depth_ = 0;
};

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Elements that never nest in gumbo's tree, or that close themselves when repeated.
bool NotCounted(std::string_view tag) {
  static constexpr std::string_view kTags[] = {
      "area",   "base",     "br",     "col",      "embed",   "hr",    "img",   "input", "link",
      "meta",   "param",    "source", "track",    "wbr",     "p",     "li",    "dt",    "dd",
      "option", "optgroup", "tr",     "td",       "th",      "tbody", "thead", "tfoot", "rb",
      "rt",     "rtc",      "rp",     "colgroup", "caption", "html",  "head",  "body",  "keygen"};
  for (std::string_view t : kTags) {
    if (t == tag) return true;
  }
  return false;
}

}  // namespace

size_t HtmlNestingDepth(std::string_view b) {
  size_t depth = 0, max_depth = 0;
  std::string name;
  for (size_t i = b.find('<'); i != std::string_view::npos && i + 1 < b.size();
       i = b.find('<', i + 1)) {
    if (b.compare(i, 4, "<!--") == 0) {
      const size_t end = b.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    const bool closing = b[i + 1] == '/';
    size_t j = i + 1 + closing;
    name.clear();
    while (j < b.size() && (IsAsciiAlpha(b[j]) || (b[j] >= '0' && b[j] <= '9')) &&
           name.size() < 16) {
      name.push_back(static_cast<char>(b[j] | 0x20));
      ++j;
    }
    if (name.empty() || !IsAsciiAlpha(name[0])) continue;
    if (closing) {
      if (!NotCounted(name) && depth > 0) --depth;
      continue;
    }
    const size_t gt = b.find('>', j);
    if (gt == std::string_view::npos) break;
    if (name == "script" || name == "style" || name == "textarea" || name == "title" ||
        name == "xmp" || name == "plaintext") {  // raw text: skip to the end tag
      const size_t end = b.find("</", gt);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    if (NotCounted(name) || b[gt - 1] == '/') continue;
    max_depth = std::max(max_depth, ++depth);
    i = gt;
  }
  return max_depth;
}

StatusOr<ExtractedText> ExtractHtml(std::string_view bytes, const ExtractOptions& options) {
  const std::string hint = options.charset_hint.empty() ? MetaCharset(bytes) : options.charset_hint;
  DecodedText decoded = DecodeText(bytes, hint);
  if (const size_t depth = HtmlNestingDepth(decoded.utf8); depth > options.max_html_depth) {
    return InvalidArgument("the HTML nests elements about " + std::to_string(depth) +
                           " levels deep (the limit is " + std::to_string(options.max_html_depth) +
                           "); this is not a normal web page. Save the page again from a browser "
                           "and upload it again");
  }
  GumboOptions gopts = kGumboDefaultOptions;
  gopts.max_errors = 0;  // we do not report parse errors; do not spend memory on them
  GumboOutput* output = gumbo_parse_with_options(&gopts, decoded.utf8.data(), decoded.utf8.size());
  if (output == nullptr) return InvalidArgument("the HTML could not be parsed");
  HtmlWalker walker(options.max_output_bytes);
  walker.Walk(output->document, 0);
  gumbo_destroy_output(&gopts, output);
  ExtractedText out = walker.Finish();
  out.charset = decoded.charset;
  if (decoded.had_invalid) {
    out.warnings.push_back("some bytes were not valid " + decoded.charset +
                           " and were replaced by U+FFFD");
  }
  return out;
}

}  // namespace scriptgen::extract
