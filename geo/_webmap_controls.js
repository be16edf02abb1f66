/* chengyu map controls: title, legend, search, timeline, GCJ-02 swap. No external assets.
   Every string put into the page as HTML was escaped by the Python side. */
function chengyuControls(map, options) {
  var registry = window.chengyuLayers = window.chengyuLayers || [];
  if (!window.chengyuPending) { window.chengyuReady = performance.now(); }

  var title = document.createElement("div");
  title.className = "chengyu-title";
  title.innerHTML = options.title;
  map.getContainer().appendChild(title);

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "chengyu-panel chengyu-legend");
    div.innerHTML = options.legend + '<div class="chengyu-credit">' + options.credit + "</div>";
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  // Amap's tiles are GCJ-02: on them, draw each group from the same data shifted to GCJ-02.
  function currentLayers(entry) { return window.chengyuGcj && entry.gcj ? entry.gcj : entry.wgs; }
  map.on("baselayerchange", function (event) {
    window.chengyuGcj = options.gcjBasemaps.indexOf(event.name) >= 0;
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
        if (!found) { input.classList.add("chengyu-miss"); return; }
        input.classList.remove("chengyu-miss");
        if (!map.hasLayer(foundEntry.group)) { map.addLayer(foundEntry.group); }
        map.setView(found.getLatLng ? found.getLatLng() : found.getBounds().getCenter(), Math.max(map.getZoom(), 10));
        found.openPopup();
      }
      L.DomEvent.on(input, "change", go);
      L.DomEvent.on(input, "keydown", function (event) { if (event.key === "Enter") { go(); } });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    search.addTo(map);
  }

  var timelineYear = null;
  function applyYear(year) {
    registry.forEach(function (entry) {
      if (!entry.timeline) { return; }
      [entry.wgs, entry.gcj].forEach(function (layers) {
        if (!layers) { return; }
        layers.eachLayer(function (layer) {
          var p = layer.feature.properties;
          var open = year === null || (p._y !== null && p._y <= year);
          layer.setStyle(open ? p._s : L.extend({}, p._s, {opacity: 0.12, fillOpacity: 0.05}));
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
