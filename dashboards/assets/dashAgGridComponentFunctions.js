// Cell renderers for dash-ag-grid. Text stays text: links are built as elements, never from HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.ExternalLink = function (props) {
    var url = props.value;
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
        return url ? String(url) : "";
    }
    return React.createElement(
        "a",
        { href: url, target: "_blank", rel: "noopener noreferrer nofollow", title: url },
        "source ↗"
    );
};
