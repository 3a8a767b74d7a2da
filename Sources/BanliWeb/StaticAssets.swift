/// The workbench's style sheet and its one small script, served by the binary itself: intranets have no CDN.
enum StaticAssets {
    static let css = """
        *{box-sizing:border-box}
        body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f5f6f8;
        font-size:15px;line-height:1.5}
        a{color:#1f56b3}
        header.top{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:8px 16px;background:#a3211c;color:#fff}
        header.top a{color:#fff;text-decoration:none} .brand{font-weight:700;font-size:18px} .where{opacity:.9}
        .menu{display:flex;flex-wrap:wrap;gap:4px} .menu a{padding:4px 10px;border-radius:4px} .menu a.current,.menu a:hover{background:rgba(255,255,255,.2)}
        form.who{margin-left:auto;display:flex;align-items:center;gap:6px} button.link{background:none;border:none;color:#fff;text-decoration:underline;
        cursor:pointer;font:inherit;padding:0}
        .lang{font-size:13px}
        main{padding:16px;max-width:1200px;margin:0 auto}
        h1{font-size:21px;margin:4px 0 12px} h2{font-size:17px;margin:20px 0 8px} h3{font-size:15px;margin:12px 0 6px}
        .notice{background:#e5f4e8;border:1px solid #9fd0a9;padding:8px 12px;border-radius:4px}
        .error{background:#fde2e1;border:1px solid #f0a4a0;color:#8c1a15;padding:8px 12px;border-radius:4px}
        .cards{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:16px}
        .cards a,.cards span{display:block;min-width:110px;padding:10px 14px;background:#fff;border:1px solid #ddd;border-radius:6px;text-decoration:none;
        color:#222}
        .cards b{display:block;font-size:22px} .cards .bad{border-color:#e0605a;background:#fde2e1} .cards .warn{border-color:#e6b450;background:#fff4dc}
        .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
        table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
        th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top} th{background:#eef0f3;white-space:nowrap}
        tr.overdue td{background:#fde2e1} tr.due-soon td{background:#fff4dc} td.num{text-align:right}
        tr.refused td{background:#fff4dc} td.bad{background:#fde2e1;outline:2px solid #a3211c;outline-offset:-2px} td.problem{color:#8c1a15}
        .tag{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#e8eef8}
        .tag.bad{background:#a3211c;color:#fff} .tag.warn{background:#e6b450}
        form.filters{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:flex-end;margin-bottom:12px;background:#fff;padding:10px;border:1px solid #ddd;
        border-radius:6px}
        form.filters label{display:flex;flex-direction:column;font-size:13px}
        input,select,textarea,button{font:inherit;padding:5px 8px;border:1px solid #bbb;border-radius:4px;max-width:100%}
        textarea{width:100%;min-height:8em}
        button{background:#a3211c;color:#fff;border-color:#a3211c;cursor:pointer} button.secondary{background:#fff;color:#a3211c}
        .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:0 0 12px}
        dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0} dl.fields dt{color:#666} dl.fields dd{margin:0;
        white-space:pre-wrap;word-break:break-word}
        details.step{border:1px solid #ddd;border-radius:6px;background:#fcfcfd;margin:8px 0;padding:6px 10px}
        details.step summary{cursor:pointer;font-weight:600;color:#a3211c}
        details.step form{display:flex;flex-direction:column;gap:8px;margin-top:8px}
        details.step label{display:flex;flex-direction:column;font-size:14px}
        .conflict{border:2px solid #e6b450;background:#fffaf0} .sides{display:flex;flex-wrap:wrap;gap:8px}
        .sides form{flex:1 1 220px;border:1px solid #ddd;background:#fff;border-radius:6px;padding:8px}
        .sides .value{white-space:pre-wrap;word-break:break-word}
        ol.timeline{list-style:none;padding:0;margin:0} ol.timeline li{border-left:3px solid #ccc;padding:2px 10px;margin:0 0 6px}
        ol.timeline li.local{border-color:#a3211c} .meta{color:#666;font-size:13px}
        .value{white-space:pre-wrap;word-break:break-word}
        body.login{display:flex;min-height:100vh;align-items:center;justify-content:center}
        form.login{width:min(360px,92vw);display:flex;flex-direction:column;gap:10px} form.login label{display:flex;flex-direction:column}
        svg.chart{display:block;width:100%;max-width:640px;height:auto;margin:4px 0 10px}
        svg.chart.rates,svg.chart.counts{max-width:520px}
        .prose{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px}
        th.current{background:#f6d9d7} th a{text-decoration:none}
        body.print{background:#fff;color:#000} body.print main{max-width:190mm;padding:0} body.print .card{border:none;padding:0;page-break-inside:avoid}
        @page{size:A4;margin:15mm}
        @media (max-width:640px){main{padding:8px} dl.fields{grid-template-columns:1fr} dl.fields dt{font-weight:600;margin-top:6px} th,td{padding:4px 6px}}
        @media print{header.top,form,details.step,.noprint{display:none} body{background:#fff} main{max-width:none}}
        """

    /// Asks before steps that are hard to take back; the pages work the same without it.
    static let js = """
        document.addEventListener('submit', function (e) {
          var b = e.submitter, q = (b && b.getAttribute('data-confirm')) || e.target.getAttribute('data-confirm');
          if (q && !window.confirm(q)) { e.preventDefault(); }
        });
        """
}
