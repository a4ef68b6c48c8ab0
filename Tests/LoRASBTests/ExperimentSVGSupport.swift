import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG document parsed by Foundation's XML parser: every element with its attributes and
/// text, in document order. Parsing fails (returns nil) when the text is not well-formed XML.
struct ParsedSVG {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text: String
    }

    var elements: [Element] = []

    static func parse(_ text: String) -> ParsedSVG? {
        let collector = Collector()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        guard parser.parse() else { return nil }
        return ParsedSVG(elements: collector.elements)
    }

    func all(_ name: String, class className: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (className == nil || $0.attributes["class"] == className) }
    }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            elements.append(Element(name: elementName, attributes: attributeDict, text: ""))
            open.append(elements.count - 1)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = open.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let i = open.last { elements[i].text += string }
        }
    }
}

/// The numbers of an SVG path's `d` (`M1.00,2.00 L3.00,4.00`) as points, and how many
/// separate stretches (`M` commands) it has.
func pathPoints(_ d: String) -> (points: [(Double, Double)], moves: Int) {
    var points: [(Double, Double)] = []
    var moves = 0
    for command in d.split(separator: " ") {
        if command.hasPrefix("M") { moves += 1 }
        let xy = command.dropFirst().split(separator: ",").compactMap { Double($0) }
        if xy.count == 2 { points.append((xy[0], xy[1])) }
    }
    return (points, moves)
}
