import Foundation

/// An sRGB colour with 8 bits per channel.
public struct Color: Sendable, Hashable {
    /// Red channel, 0–255.
    public var red: UInt8
    /// Green channel, 0–255.
    public var green: UInt8
    /// Blue channel, 0–255.
    public var blue: UInt8

    /// A colour from its channels.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from fractions in `[0, 1]` (clamped, rounded to the nearest 8-bit value).
    public init(fractionRed r: Double, green g: Double, blue b: Double) {
        func byte(_ v: Double) -> UInt8 { UInt8((min(max(v, 0), 1) * 255).rounded()) }
        self.init(red: byte(r), green: byte(g), blue: byte(b))
    }

    /// A colour from a 24-bit value `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// `#rrggbb`, as SVG and CSS take it.
    public var hexString: String {
        String(format: "#%02x%02x%02x", red, green, blue)
    }

    /// Black.
    public static let black = Color(hex: 0x000000)
    /// White.
    public static let white = Color(hex: 0xFFFFFF)
    /// The grey of dominated or secondary data.
    public static let grey = Color(hex: 0xA0A0A0)
    /// A light grey for grid lines.
    public static let lightGrey = Color(hex: 0xE6E6E6)
    /// A dark grey for axes and text.
    public static let darkGrey = Color(hex: 0x333333)

    /// The colour-blind-safe qualitative palette of Okabe & Ito ("Color Universal Design",
    /// 2008), black first moved to the end: orange, sky blue, bluish green, yellow, blue,
    /// vermillion, reddish purple, black.
    public static let okabeIto: [Color] = [
        Color(hex: 0xE69F00), Color(hex: 0x56B4E9), Color(hex: 0x009E73), Color(hex: 0xF0E442),
        Color(hex: 0x0072B2), Color(hex: 0xD55E00), Color(hex: 0xCC79A7), Color(hex: 0x000000),
    ]

    /// The `index`-th colour of ``okabeIto``, cycling.
    public static func categorical(_ index: Int) -> Color {
        okabeIto[((index % okabeIto.count) + okabeIto.count) % okabeIto.count]
    }
}

/// A continuous colour map: colours at increasing positions in `[0, 1]`, linearly
/// interpolated in sRGB between them.
public struct Colormap: Sendable, Hashable {
    /// The map's name.
    public var name: String
    /// `(position, colour)` anchors, positions increasing from 0 to 1.
    public var anchors: [Anchor]

    /// One anchor of a colour map.
    public struct Anchor: Sendable, Hashable {
        /// Position in `[0, 1]`.
        public var position: Double
        /// Red, green and blue as fractions in `[0, 1]`.
        public var red: Double, green: Double, blue: Double

        /// An anchor at `position` with the given channel fractions.
        public init(position: Double, red: Double, green: Double, blue: Double) {
            self.position = position
            self.red = red
            self.green = green
            self.blue = blue
        }
    }

    /// A colour map named `name` through `anchors` (positions increasing from 0 to 1).
    public init(name: String, anchors: [Anchor]) {
        self.name = name
        self.anchors = anchors
    }

    /// The colour at `u` (clamped to `[0, 1]`; NaN gives the colour at 0).
    public func color(at u: Double) -> Color {
        let u = u.isNaN ? 0 : min(max(u, 0), 1)
        guard let upper = anchors.firstIndex(where: { $0.position >= u }) else {
            let last = anchors[anchors.count - 1]
            return Color(fractionRed: last.red, green: last.green, blue: last.blue)
        }
        let b = anchors[upper]
        guard upper > 0 else { return Color(fractionRed: b.red, green: b.green, blue: b.blue) }
        let a = anchors[upper - 1]
        let w = b.position > a.position ? (u - a.position) / (b.position - a.position) : 0
        return Color(fractionRed: a.red + w * (b.red - a.red), green: a.green + w * (b.green - a.green),
                     blue: a.blue + w * (b.blue - a.blue))
    }

    /// Viridis, the perceptually uniform default map of matplotlib ≥ 2.0, by Nathaniel J. Smith,
    /// Stéfan van der Walt and Eric Firing (mpl-colormaps, released under CC0; the 256-entry
    /// table `_viridis_data` of matplotlib's `lib/matplotlib/_cm_listed.py`). Entries 0, 16, …,
    /// 240 and 255 of that table, at positions `i / 255`.
    public static let viridis = Colormap(name: "viridis", anchors: [
        (0, 0.267004, 0.004874, 0.329415), (16, 0.282327, 0.094955, 0.417331),
        (32, 0.278826, 0.175490, 0.483397), (48, 0.258965, 0.251537, 0.524736),
        (64, 0.229739, 0.322361, 0.545706), (80, 0.199430, 0.387607, 0.554642),
        (96, 0.172719, 0.448791, 0.557885), (112, 0.149039, 0.508051, 0.557250),
        (128, 0.127568, 0.566949, 0.550556), (144, 0.120638, 0.625828, 0.533488),
        (160, 0.157851, 0.683765, 0.501686), (176, 0.246070, 0.738910, 0.452024),
        (192, 0.369214, 0.788888, 0.382914), (208, 0.515992, 0.831158, 0.294279),
        (224, 0.678489, 0.863742, 0.189503), (240, 0.845561, 0.887322, 0.099702),
        (255, 0.993248, 0.906157, 0.143936),
    ].map { Anchor(position: Double($0.0) / 255, red: $0.1, green: $0.2, blue: $0.3) })
}

/// Maps values in `range` through a colour map, for series coloured by value and the panel's
/// colour bar.
public struct ColorScale: Sendable, Hashable {
    /// The colour bar's title (e.g. `t` or `λ₁`).
    public var title: String
    /// The values mapped to the ends of the colour map.
    public var range: ClosedRange<Double>
    /// The colour map.
    public var colormap: Colormap

    /// A colour scale over `range` with `colormap` (viridis by default).
    public init(title: String, range: ClosedRange<Double>, colormap: Colormap = .viridis) {
        self.title = title
        self.range = range
        self.colormap = colormap
    }

    /// The colour of `value` (values outside ``range`` take the end colours).
    public func color(for value: Double) -> Color {
        let span = range.upperBound - range.lowerBound
        return colormap.color(at: span > 0 ? (value - range.lowerBound) / span : 0.5)
    }
}
