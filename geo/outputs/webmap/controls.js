/* chengyu map controls: title, legend, layer control, basemaps, search, timeline, GCJ-02 swap.
   No external assets. Text is data: every string comes from a JSON block (chengyuData) and reaches
   the page through textContent, DOM nodes or chengyuEscape, never as markup or template source. */

/* The value of one of the page's JSON blocks (script elements of type application/json). */
function chengyuData(id) { return JSON.parse(document.getElementById(id).textContent); }

/* Text made safe for the few Leaflet APIs that take markup (layer control names, attribution). */
function chengyuEscape(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
  });
}

/* An element with the given class and text (never markup). */
function chengyuNode(tag, className, text) {
  var node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined && text !== null) { node.textContent = text; }
  return node;
}

/* A feature's popup: its names as heading ("h"), then a table of [label, value] rows ("r"). */
function chengyuPopup(content) {
  var div = chengyuNode("div", "chengyu-popup");
  var heading = div.appendChild(chengyuNode("b"));
  content.h.forEach(function (line, index) {
    if (index) { heading.appendChild(document.createElement("br")); }
    heading.appendChild(document.createTextNode(line));
  });
  var table = div.appendChild(document.createElement("table"));
  content.r.forEach(function (row) {
    var tr = table.appendChild(document.createElement("tr"));
    tr.appendChild(chengyuNode("th", "", row[0]));
    tr.appendChild(chengyuNode("td", "", row[1]));
  });
  return div;
}

/* A legend swatch: an SVG element named by the Python side, with its attributes. */
function chengyuSwatch(swatch) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "24");
  svg.setAttribute("height", "14");
  var shape = svg.appendChild(document.createElementNS(ns, swatch.tag));
  Object.keys(swatch.attrs).forEach(function (name) { shape.setAttribute(name, swatch.attrs[name]); });
  return svg;
}

/* A scrollbar of our own beside a scrolling element: browsers with overlay scrollbars (and
   headless Chromium) show none, and a legend cut at the bottom must say that it scrolls. The
   thumb is as tall as the part shown and can be dragged; a click on the track pages. */
function chengyuScrollbar(frame, body) {
  var track = frame.appendChild(chengyuNode("div", "chengyu-scrollbar"));
  var thumb = track.appendChild(chengyuNode("div", "chengyu-scrollbar-thumb"));
  function update() {
    var scrolls = body.scrollHeight > body.clientHeight + 1;
    frame.classList.toggle("chengyu-scrolls", scrolls);
    if (!scrolls) { return; }
    var height = body.clientHeight, ratio = height / body.scrollHeight;
    var size = Math.max(24, Math.round(height * ratio));
    var travel = body.scrollHeight - height;
    thumb.style.height = size + "px";
    thumb.style.top = Math.round((height - size) * body.scrollTop / travel) + "px";
  }
  body.addEventListener("scroll", update);
  thumb.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    event.stopPropagation();
    var startY = event.clientY, startTop = body.scrollTop;
    var perPixel = body.scrollHeight / body.clientHeight;
    function move(e) { body.scrollTop = startTop + (e.clientY - startY) * perPixel; }
    function up() {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
    }
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
  });
  track.addEventListener("pointerdown", function (event) {
    if (event.target !== track) { return; }
    var below = event.clientY > thumb.getBoundingClientRect().top;
    body.scrollTop += (below ? 1 : -1) * body.clientHeight * 0.9;
  });
  frame.parentNode.chengyuScrollbarUpdate = update;
  return update;
}

/* Popups keep clear of the title and search box (top left) and of the map's edges. */
var chengyuPopupOptions = {maxWidth: 380, autoPanPaddingTopLeft: [60, 110], autoPanPaddingBottomRight: [20, 30]};

/* The pane of a geometry kind, made on first use: context under polygons under lines under
   points, so a station is clicked even where a county is drawn. Only painted shapes take clicks. */
var chengyuPaneOrder = {context: 300, polygon: 410, outline: 415, line: 420, point: 430};
function chengyuPane(map, kind) {
  var name = "chengyu-" + kind;
  if (!map.getPane(name)) { map.createPane(name).style.zIndex = chengyuPaneOrder[kind]; }
  return name;
}

/* The renderer of a pane: one canvas per areas' pane (filled, outlines), SVG (Leaflet's
   default) else. */
function chengyuRenderer(map, pane) {
  if (pane !== "chengyu-polygon" && pane !== "chengyu-outline") { return undefined; }
  map._chengyuCanvases = map._chengyuCanvases || {};
  map._chengyuCanvases[pane] = map._chengyuCanvases[pane] || L.canvas({pane: pane});
  return map._chengyuCanvases[pane];
}

/* Whether a feature is in service in a year of the timeline (every feature without one). */
function chengyuOpenIn(p, year) {
  return year === null || year === undefined || (p._y !== null && p._y <= year);
}

/* Asks the label pass to run again (after a group is drawn); it runs once the controls exist. */
function chengyuLabelsRefresh() { if (window.chengyuLabelsUpdate) { window.chengyuLabelsUpdate(); } }

/* Whether a label stands beside its point (a station, a town) or centred on it (a line's or a
   county's name). */
function chengyuLabelBeside(f) { return f.geometry.type === "Point" && f.properties._lc !== "county"; }

/* Names on the map face, placed by rank (line names, then main stations, hubs and ports, then
   places, then the other stations from their zoom); a label that would overlap one already
   placed is hidden. Each feature's label is data: _l (lat, lon), _lt (text), _r, _z. */
function chengyuLabels(map) {
  var pane = map.createPane("chengyu-labels");
  pane.style.zIndex = 450;
  pane.style.pointerEvents = "none";
  var shown = L.layerGroup().addTo(map), pending = false;
  function width(text) {
    var w = 0;
    for (var i = 0; i < text.length; i++) { w += text.charCodeAt(i) > 0x2e80 ? 12 : 6.6; }
    return w + 6;
  }
  function marker(f, both) {
    var key = both ? "_chengyuLabelBoth" : "_chengyuLabel";
    if (!f[key]) {
      var p = f.properties, point = chengyuLabelBeside(f);
      var text = chengyuNode("span", "chengyu-label-text", p._lt);
      if (both) { text.appendChild(chengyuNode("span", "chengyu-label-en", " " + p._le)); }
      if (p._lc) { text.className += " chengyu-label-" + p._lc; }
      if (!point && p._s && p._s.color && f.geometry.type !== "Polygon" && f.geometry.type !== "MultiPolygon") {
        text.style.color = p._s.color;
        text.className += " chengyu-label-line";
      }
      f[key] = L.marker([0, 0], {
        pane: "chengyu-labels", interactive: false, keyboard: false,
        icon: L.divIcon({className: "chengyu-label " + (point ? "chengyu-label-point" : "chengyu-label-centre"),
                         iconSize: null, html: text})
      });
      f[key]._chengyuText = text;
    }
    return f[key];
  }
  function update() {
    pending = false;
    var zoom = map.getZoom(), size = map.getSize(), candidates = [], placed = [];
    (window.chengyuLayers || []).concat(window.chengyuPlaces || []).forEach(function (entry, order) {
      if (!map.hasLayer(entry.group)) { return; }
      entry.data.features.forEach(function (f) {
        var p = f.properties;
        if (p._l && p._lt && !(p._z && zoom < p._z)) { candidates.push([p._r || 9, order, f, entry]); }
      });
    });
    candidates.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    // The title and the controls count as placed: no label is hidden under them.
    var origin = map.getContainer().getBoundingClientRect();
    map.getContainer().querySelectorAll(".chengyu-title, .leaflet-control").forEach(function (node) {
      var r = node.getBoundingClientRect();
      if (r.width && r.height) {
        placed.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]);
      }
    });
    var keep = [];
    candidates.forEach(function (candidate) {
      var f = candidate[2], entry = candidate[3], p = f.properties, ll = p._l;
      if (window.chengyuGcj) { var g = chengyuWgs84ToGcj02(ll[1], ll[0]); ll = [g[1], g[0]]; }
      var at = map.latLngToContainerPoint(ll), h = 16;
      function boxOf(w) {
        return chengyuLabelBeside(f) ? [at.x + 5, at.y - h / 2, at.x + 7 + w, at.y + h / 2]
          : [at.x - w / 2, at.y - h / 2, at.x + w / 2, at.y + h / 2];
      }
      function clear(box) {
        return placed.every(function (o) { return box[2] < o[0] || box[0] > o[2] || box[3] < o[1] || box[1] > o[3]; });
      }
      // Both names where there is room (the English a little smaller), else the Chinese.
      var both = p._le ? boxOf(width(p._lt) + width(p._le) * 0.92) : null;
      var box = both && clear(both) ? both : boxOf(width(p._lt));
      if (box[2] < 0 || box[0] > size.x || box[3] < 0 || box[1] > size.y) { return; }
      if (box !== both && !clear(box)) { return; }
      placed.push(box);
      keep.push([f, ll, box === both, entry.timeline && !chengyuOpenIn(p, window.chengyuYear)]);
    });
    shown.clearLayers();
    keep.forEach(function (item) {
      var label = marker(item[0], item[2]).setLatLng(item[1]);
      // On the timeline a name fades with its feature.
      label._chengyuText.classList.toggle("chengyu-label-faded", item[3]);
      shown.addLayer(label);
    });
    window.chengyuLabelCount = keep.length;
  }
  window.chengyuLabelsUpdate = function () {
    if (!pending) { pending = true; setTimeout(update, 0); }
  };
  map.on("zoomend moveend overlayadd overlayremove baselayerchange resize", window.chengyuLabelsUpdate);
  update();
}

function chengyuControls(map, options) {
  var registry = window.chengyuLayers = window.chengyuLayers || [];
  if (!window.chengyuPending) { window.chengyuReady = performance.now(); }

  map.getContainer().appendChild(chengyuNode("div", "chengyu-title", options.title));

  var small = map.getSize().x < 1100 || map.getSize().y < 700;
  var legendParts = {};  // a group's legend entries by its label, hidden while it is switched off
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("details", "chengyu-panel chengyu-legend");
    div.open = !small;
    div.addEventListener("toggle", chengyuLabelsRefresh);  // labels give way to the legend
    div.appendChild(chengyuNode("summary", "", "图例 Legend"));
    var frame = div.appendChild(chengyuNode("div", "chengyu-legend-frame"));
    var body = frame.appendChild(chengyuNode("div", "chengyu-legend-body"));
    options.legend.forEach(function (group) {
      var part = body.appendChild(chengyuNode("div", "chengyu-legend-group"));
      legendParts[group.label] = part;
      part.appendChild(chengyuNode("b", "", group.label));
      group.items.forEach(function (item) {
        var line = part.appendChild(chengyuNode("div", "chengyu-legend-item"));
        line.appendChild(chengyuSwatch(item.swatch));
        line.appendChild(document.createTextNode(item.text));
      });
    });
    options.notes.forEach(function (note) { body.appendChild(chengyuNode("div", "chengyu-note", note)); });
    chengyuScrollbar(frame, body);
    div.appendChild(chengyuNode("div", "chengyu-credit", options.credit));
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  // Basemaps and groups in one layer control; Leaflet writes its names as markup, so escaped.
  var bases = {}, overlays = {}, gcjLayers = [];
  options.basemaps.forEach(function (base, index) {
    var tiles = L.tileLayer(base.url, {
      attribution: chengyuEscape(base.attribution), subdomains: base.subdomains
    });
    if (index === 0) {
      tiles.addTo(map);
      // Without a network (offline, or tiles blocked) the first basemap gives way to the vector
      // basemap, so the page keeps its land, coasts and places instead of an empty background.
      var tileLoaded = false;
      tiles.on("tileload", function () { tileLoaded = true; });
      tiles.once("tileerror", function () {
        if (!tileLoaded && map.hasLayer(tiles)) {
          map.removeLayer(tiles);
          blank.addTo(map);
          map.getContainer().classList.add("chengyu-tiles-failed");
        }
      });
    }
    bases[chengyuEscape(base.name)] = tiles;
    if (base.gcj02) { gcjLayers.push(tiles); }
    if (base.overlay_url) {
      overlays[chengyuEscape(base.name + " 注记 labels")] = L.tileLayer(base.overlay_url, {
        attribution: chengyuEscape(base.attribution), subdomains: base.subdomains
      });
    }
  });
  var blank = L.layerGroup();
  if (options.context) {
    // The vector basemap's context: land, coasts, neighbours and places, under every group.
    var pane = chengyuPane(map, "context");
    // Drawn on a canvas: a backdrop takes no clicks, and one raster repaints whole.
    var contextOptions = {
      pane: pane, interactive: false, renderer: L.canvas({pane: pane}),
      style: function (f) { return f.properties._s; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, L.extend({pane: pane, interactive: false,
                                                renderer: contextOptions.renderer}, f.properties._s));
      }
    };
    var context = L.geoJSON(options.context, contextOptions).addTo(blank);
    map.getContainer().classList.add("chengyu-with-context");  // the sea behind the land
    registry.push({group: blank, wgs: context, gcj: null, data: options.context,
                   options: contextOptions, timeline: false, searchable: false, label: ""});
  }
  if (options.places) {
    // Seats, county names and towns: part of the vector basemap, each from its zoom (_z).
    var placesPane = chengyuPane(map, "context");
    var placesRenderer = L.canvas({pane: placesPane});
    var byZoom = {}, placeFeatures = [];
    Object.keys(options.places.rows).forEach(function (kind) {
      var rows = options.places.rows[kind], how = options.places.kinds[kind];
      rows.forEach(function (row, index) {
        // Within a kind the larger come first: placed first where labels would overlap.
        var f = {type: "Feature", geometry: {type: "Point", coordinates: [row[0], row[1]]},
                 properties: {_l: [row[1], row[0]], _lt: row[2], _z: how.z, _lc: kind,
                              _r: how.r + index / (rows.length + 1), _s: how.s}};
        placeFeatures.push(f);
        if (how.s) { (byZoom[how.z] = byZoom[how.z] || []).push(f); }
      });
    });
    var placeLayers = Object.keys(byZoom).map(function (zoom) {
      var layer = L.geoJSON({type: "FeatureCollection", features: byZoom[zoom]}, {
        pane: placesPane, interactive: false,
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, L.extend({pane: placesPane, interactive: false,
                                                  renderer: placesRenderer}, f.properties._s));
        }
      });
      return [parseFloat(zoom), layer];
    });
    var showPlaces = function () {
      placeLayers.forEach(function (item) {
        var wanted = map.getZoom() >= item[0];
        if (wanted && !blank.hasLayer(item[1])) { blank.addLayer(item[1]); }
        if (!wanted && blank.hasLayer(item[1])) { blank.removeLayer(item[1]); }
      });
    };
    map.on("zoomend", showPlaces);
    showPlaces();
    // Kept apart from the groups (window.chengyuLayers): only the label pass reads it, and it has
    // no GCJ-02 twin (the vector basemap is WGS84).
    window.chengyuPlaces = [{group: blank, wgs: null, gcj: null, options: null,
                   data: {type: "FeatureCollection", features: placeFeatures},
                   timeline: false, searchable: false, label: ""}];
  }
  if (!options.basemaps.length) { blank.addTo(map); }
  bases[chengyuEscape(options.noTiles)] = blank;
  (window.chengyuGroups || []).forEach(function (group, index) {
    overlays[chengyuEscape(options.groups[index])] = group;
  });
  // On a small screen the layer control folds into its button.
  var layerControl = L.control.layers(bases, overlays, {collapsed: small, position: "topright"});
  layerControl.addTo(map);
  // A group switched off in the layer control leaves the legend with it, and comes back with it.
  function syncLegend() {
    (window.chengyuGroups || []).forEach(function (group, index) {
      var part = legendParts[options.groups[index]];
      if (part) { part.classList.toggle("chengyu-legend-off", !map.hasLayer(group)); }
    });
  }
  map.on("overlayadd overlayremove", syncLegend);
  syncLegend();
  // The legend's body takes the height the layer control leaves in the right-hand column, so
  // the two never overlap whatever the number of basemaps and groups or the window's height.
  function fitLegend() {
    var box = legend.getContainer(), body = box.querySelector(".chengyu-legend-body");
    var above = layerControl.getContainer().offsetHeight;
    var rest = box.offsetHeight - body.offsetHeight;  // summary and credit line
    var room = map.getSize().y - above - rest - 50;   // the controls' margins and a gap
    body.style.minHeight = "0";
    body.style.maxHeight = Math.max(40, room) + "px";
    box.chengyuScrollbarUpdate();
  }
  fitLegend();
  legend.getContainer().chengyuScrollbarUpdate();
  map.on("resize", fitLegend);
  legend.getContainer().addEventListener("toggle", fitLegend);  // a closed legend has no body

  // Amap's tiles are GCJ-02: on them, draw each group from the same data shifted to GCJ-02.
  function currentLayers(entry) { return window.chengyuGcj && entry.gcj ? entry.gcj : entry.wgs; }
  map.on("baselayerchange", function (event) {
    window.chengyuGcj = gcjLayers.indexOf(event.layer) >= 0;
    registry.forEach(function (entry) {
      if (window.chengyuGcj && !entry.gcj) {
        entry.gcj = L.geoJSON(entry.data, L.extend({}, entry.options, {
          coordsToLatLng: function (c) { var g = chengyuWgs84ToGcj02(c[0], c[1]); return L.latLng(g[1], g[0]); }
        }));
      }
      if (!entry.gcj) { return; }
      var show = currentLayers(entry), hide = show === entry.gcj ? entry.wgs : entry.gcj;
      if (entry.group.hasLayer(hide)) { entry.group.removeLayer(hide); }
      if (!entry.group.hasLayer(show)) { entry.group.addLayer(show); }
    });
    if (timelineYear !== null) { applyYear(timelineYear); }
  });

  if (options.search) {
    var search = L.control({position: "topleft"});
    search.onAdd = function () {
      var div = L.DomUtil.create("div", "chengyu-panel chengyu-search");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search";
      input.placeholder = "搜索车站、枢纽 Search stations, hubs";
      input.setAttribute("list", "chengyu-search-list");
      input.setAttribute("aria-label", "search");
      var miss = L.DomUtil.create("div", "chengyu-miss-text", div);
      miss.textContent = "未找到 Not found";
      var list = L.DomUtil.create("datalist", "", div);
      list.id = "chengyu-search-list";
      var seen = {};
      registry.forEach(function (entry) {
        if (!entry.searchable) { return; }
        entry.wgs.eachLayer(function (layer) {
          var key = layer.feature.properties._k;
          if (key && !seen[key]) {
            seen[key] = true;
            var option = document.createElement("option");
            option.value = key;  // a property, not markup
            list.appendChild(option);
          }
        });
      });
      function go() {
        var wanted = input.value.trim().toLowerCase();
        if (!wanted) { return; }
        var found = null, foundEntry = null;
        registry.forEach(function (entry) {
          if (found || !entry.searchable) { return; }
          currentLayers(entry).eachLayer(function (layer) {
            var key = (layer.feature.properties._k || "").toLowerCase();
            if (!found && key.indexOf(wanted) >= 0) { found = layer; foundEntry = entry; }
          });
        });
        if (!found) { div.classList.add("chengyu-miss"); return; }
        div.classList.remove("chengyu-miss");
        if (!map.hasLayer(foundEntry.group)) { map.addLayer(foundEntry.group); }
        map.setView(found.getLatLng ? found.getLatLng() : found.getBounds().getCenter(), Math.max(map.getZoom(), 10));
        found.openPopup();
      }
      L.DomEvent.on(input, "input", function () { div.classList.remove("chengyu-miss"); });
      L.DomEvent.on(input, "change", go);
      L.DomEvent.on(input, "keydown", function (event) { if (event.key === "Enter") { go(); } });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    search.addTo(map);
  }

  var timelineYear = null;
  function applyYear(year) {
    window.chengyuYear = year;
    chengyuLabelsRefresh();
    registry.forEach(function (entry) {
      if (!entry.timeline) { return; }
      [entry.wgs, entry.gcj].forEach(function (layers) {
        if (!layers) { return; }
        layers.eachLayer(function (layer) {
          var p = layer.feature.properties;
          var open = chengyuOpenIn(p, year);
          // Full style back (a marker's style has no opacity of its own: 1 is set explicitly).
          var full = L.extend({opacity: 1}, p._s);
          layer.setStyle(open ? full : L.extend({}, full, {opacity: 0.12, fillOpacity: 0.05}));
        });
      });
    });
  }
  if (options.timeline) {
    var timeline = L.control({position: "bottomleft"});
    timeline.onAdd = function () {
      var div = L.DomUtil.create("div", "chengyu-panel chengyu-timeline");
      var toggle = L.DomUtil.create("input", "", div);
      toggle.type = "checkbox";
      toggle.id = "chengyu-timeline-on";
      var label = L.DomUtil.create("label", "", div);
      label.htmlFor = toggle.id;
      label.textContent = " 时间轴 Timeline ";
      var slider = L.DomUtil.create("input", "", div);
      slider.type = "range";
      slider.min = options.timeline[0];
      slider.max = options.timeline[1];
      slider.value = options.timeline[1];
      slider.disabled = true;
      var shown = L.DomUtil.create("b", "", div);
      shown.textContent = " —";
      function update() {
        slider.disabled = !toggle.checked;
        timelineYear = toggle.checked ? parseInt(slider.value, 10) : null;
        shown.textContent = timelineYear === null ? " —" : " " + timelineYear + " 年";
        applyYear(timelineYear);
      }
      L.DomEvent.on(toggle, "change", update);
      L.DomEvent.on(slider, "input", update);
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    timeline.addTo(map);
  }
  chengyuLabels(map);
}

/* WGS84 to GCJ-02, the offset of China's web maps: the same formula as cnmaps.geo.wgs84_to_gcj02
   (the tests compare the two), applied only inside China's bounds, where Amap's tiles are shifted. */
function chengyuWgs84ToGcj02(lon, lat) {
  if (lon < 73 || lon > 135.5 || lat < 18 || lat > 54) { return [lon, lat]; }
  var PI = Math.PI, SMA = 6378245.0, EER = 0.00669342162296594323;
  var x = lon - 105, y = lat - 35;
  var dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dlat += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
  dlat += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
  dlat += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  var dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dlon += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
  dlon += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
  dlon += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  var radlat = lat / 180 * PI, magic = Math.sin(radlat);
  magic = 1 - EER * magic * magic;
  var sqrtmagic = Math.sqrt(magic);
  dlat = (dlat * 180) / ((SMA * (1 - EER)) / (magic * sqrtmagic) * PI);
  dlon = (dlon * 180) / (SMA / sqrtmagic * Math.cos(radlat) * PI);
  return [lon + dlon, lat + dlat];
}
